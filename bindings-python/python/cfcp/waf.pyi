from typing import Any, Dict, Optional, Union

from . import Snapshot

def validate(expression: str, kind: str = "filter") -> None: ...
def analyze(snapshot: Snapshot, zone: Optional[str] = None) -> Dict[str, Any]: ...
def simulate(
    snapshot: Snapshot, zone: str, request: Union[Dict[str, Any], str]
) -> Dict[str, Any]: ...
def propose(
    feed_text: str,
    format: str,
    snapshot: Optional[Snapshot] = None,
    zone: Optional[str] = None,
    *,
    list_name: Optional[str] = None,
    challenge: bool = False,
) -> Dict[str, Any]: ...
