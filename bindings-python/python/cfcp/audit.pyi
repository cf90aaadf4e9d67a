import os
from typing import Any, Dict, Optional, Union

def verify(
    path: Union[str, "os.PathLike[str]"],
    pubkey: Optional[Union[str, "os.PathLike[str]"]] = None,
    *,
    require_sealed: bool = False,
) -> Dict[str, Any]: ...
