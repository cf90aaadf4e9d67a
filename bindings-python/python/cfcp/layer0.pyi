from typing import Any, Dict, Optional, Union

from . import Snapshot

def classify(
    request: Union[Dict[str, Any], str],
    context: Optional[Union[Dict[str, Any], str]] = None,
    snapshot: Optional[Snapshot] = None,
) -> Dict[str, Any]: ...
def route(
    request: Union[Dict[str, Any], str],
    context: Optional[Union[Dict[str, Any], str]] = None,
    snapshot: Optional[Snapshot] = None,
    *,
    policy: Optional[str] = None,
    extend_policy: Optional[str] = None,
) -> Dict[str, Any]: ...
