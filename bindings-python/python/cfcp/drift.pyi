from typing import Any, Dict, List, Optional, Union

from . import Snapshot

JsonDict = Dict[str, Any]

def diff(desired: Snapshot, live: Snapshot, *, assess: bool = True) -> JsonDict: ...
def revert(
    drift: Union[JsonDict, str],
    *,
    max_delete: int = 10,
    max_delete_percent: float = 25.0,
    zones: Optional[List[str]] = None,
) -> JsonDict: ...
def render(drift: Union[JsonDict, str], format: str = "text") -> str: ...
def adopt(drift: Union[JsonDict, str]) -> JsonDict: ...
def export_terraform(
    snapshot: Snapshot, *, zones: Optional[List[str]] = None, skip_accounts: bool = False
) -> JsonDict: ...
