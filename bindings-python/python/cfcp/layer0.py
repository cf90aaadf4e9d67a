"""Layer0: pre-execution classification and routing of agent requests."""

from ._native import layer0_classify as classify
from ._native import layer0_route as route

__all__ = ["classify", "route"]
