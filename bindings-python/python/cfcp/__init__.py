"""cfcp: a Cloudflare control plane, from Python.

Snapshots of Cloudflare accounts, the invariant check catalog, compliance mapping, WAF analysis
and simulation, threat-intel rule proposals, Layer0 routing of agent requests and audit-log
verification. Everything runs in cfcp's Rust core; results are Python objects.

    >>> import cfcp
    >>> report = cfcp.check(cfcp.Snapshot.demo())
    >>> report.summary.failed > 0
    True
"""

from . import audit, drift, layer0, waf
from ._native import (
    ApiError,
    AuditError,
    AuthError,
    CfcpError,
    Client,
    ConfigError,
    DocumentError,
    ExpressionError,
    Finding,
    PolicyError,
    RateLimitedError,
    Report,
    Snapshot,
    SnapshotError,
    Summary,
    UnknownZoneError,
    __version__,
    check,
    compliance,
    frameworks,
)

__all__ = [
    "ApiError",
    "AuditError",
    "AuthError",
    "CfcpError",
    "Client",
    "ConfigError",
    "DocumentError",
    "ExpressionError",
    "Finding",
    "PolicyError",
    "RateLimitedError",
    "Report",
    "Snapshot",
    "SnapshotError",
    "Summary",
    "UnknownZoneError",
    "__version__",
    "audit",
    "check",
    "compliance",
    "drift",
    "frameworks",
    "layer0",
    "waf",
]
