# Hand-written type stubs for the cfcp package (the native module has no introspectable types).
import os
from typing import Any, Dict, List, Optional, Sequence, Union

from . import audit as audit
from . import drift as drift
from . import layer0 as layer0
from . import waf as waf

__version__: str

StrPath = Union[str, "os.PathLike[str]"]
JsonDict = Dict[str, Any]

class CfcpError(Exception):
    """Base class of every error cfcp raises."""

class ApiError(CfcpError):
    status: Optional[int]
    codes: List[int]
    messages: List[str]
    request: str
    zone: Optional[str]
    section: Optional[str]

class AuthError(ApiError): ...

class RateLimitedError(ApiError):
    retry_after: Optional[int]

class SnapshotError(CfcpError):
    path: Optional[str]
    json_path: Optional[str]
    line: Optional[int]
    column: Optional[int]

class ExpressionError(CfcpError):
    offset: int
    end: int
    help: Optional[str]

class PolicyError(CfcpError):
    source: str
    errors: List[str]

class ConfigError(CfcpError): ...

class DocumentError(CfcpError):
    document: str
    path: str
    line: int
    column: int

class UnknownZoneError(CfcpError):
    zone: str
    known: List[str]

class AuditError(CfcpError):
    path: str

class Snapshot:
    @staticmethod
    def load(path: StrPath) -> Snapshot: ...
    @staticmethod
    def from_json(text: str) -> Snapshot: ...
    @staticmethod
    def from_terraform(text: str, detail: str = "terraform") -> Snapshot: ...
    @staticmethod
    def demo() -> Snapshot: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> JsonDict: ...
    @property
    def format(self) -> str: ...
    @property
    def taken_at(self) -> str: ...
    @property
    def zones(self) -> List[JsonDict]: ...
    @property
    def zone_names(self) -> List[str]: ...
    @property
    def gaps(self) -> List[JsonDict]: ...
    @property
    def stats(self) -> Dict[str, int]: ...

class Summary:
    @property
    def checks(self) -> int: ...
    @property
    def passed(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def muted(self) -> int: ...
    @property
    def unknown(self) -> int: ...
    @property
    def compliance_rate(self) -> float: ...

class Finding:
    @property
    def check_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def resource_type(self) -> str: ...
    @property
    def resource_id(self) -> str: ...
    @property
    def resource_name(self) -> str: ...
    @property
    def zone(self) -> Optional[str]: ...
    @property
    def resource(self) -> Dict[str, Optional[str]]: ...
    @property
    def remediation(self) -> Dict[str, str]: ...
    @property
    def compliance(self) -> List[str]: ...
    def to_dict(self) -> JsonDict: ...

class Report:
    @property
    def format(self) -> str: ...
    @property
    def summary(self) -> Summary: ...
    @property
    def findings(self) -> List[Finding]: ...
    def failures(self) -> List[Finding]: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> JsonDict: ...
    def to_sarif(self, artifact_uri: Optional[str] = None) -> str: ...
    def to_junit(self) -> str: ...
    def to_markdown(self, title: Optional[str] = None, max_rows: int = 50) -> str: ...
    def to_gitlab(self, artifact_path: Optional[str] = None) -> str: ...
    def to_text(self, verbose: bool = False) -> str: ...
    def __len__(self) -> int: ...

class Client:
    def __init__(
        self,
        token: Optional[str] = None,
        base_url: Optional[str] = None,
        *,
        max_retries: Optional[int] = None,
        concurrency: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> None: ...
    @property
    def base_url(self) -> str: ...
    @property
    def requests_sent(self) -> int: ...
    def snapshot(
        self,
        zones: Optional[Sequence[str]] = None,
        accounts: Optional[Sequence[str]] = None,
    ) -> Snapshot: ...
    async def snapshot_async(
        self,
        zones: Optional[Sequence[str]] = None,
        accounts: Optional[Sequence[str]] = None,
    ) -> Snapshot: ...

def check(
    snapshot: Snapshot,
    policy_dir: Optional[StrPath] = None,
    waivers: Optional[StrPath] = None,
    *,
    zones: Optional[Sequence[str]] = None,
    include_waf: bool = False,
) -> Report: ...
def compliance(
    source: Union[Snapshot, Report],
    framework: str,
    policy_dir: Optional[StrPath] = None,
    waivers: Optional[StrPath] = None,
) -> JsonDict: ...
def frameworks() -> List[str]: ...
