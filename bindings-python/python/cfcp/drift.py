"""Drift between a desired state (Terraform's, or any snapshot) and the live account.

    >>> import cfcp
    >>> s = cfcp.Snapshot.demo()
    >>> cfcp.drift.diff(s, s)["items"]
    []
"""

from ._native import drift_adopt as adopt
from ._native import drift_diff as diff
from ._native import drift_render as render
from ._native import drift_revert as revert
from ._native import export_terraform

__all__ = ["adopt", "diff", "export_terraform", "render", "revert"]
