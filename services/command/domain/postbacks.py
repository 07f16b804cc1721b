"""The data behind our buttons: an action, a session key and a number, never a calendar id.

Calendar ids can be long and hold `#` and `@`; LINE allows 300 characters of postback
data, so the choices stay in the session and the button names only their position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args
from urllib.parse import parse_qs, urlencode

PostbackAction = Literal["pick", "page", "confirm", "cancel"]
_ACTIONS: dict[str, PostbackAction] = {a: a for a in get_args(PostbackAction)}
_INDEX = re.compile(r"[0-9]{1,4}")


@dataclass(frozen=True)
class MenuPostback:
    action: PostbackAction
    key: str
    index: int = 0


def encode(postback: MenuPostback) -> str:
    return urlencode({"a": postback.action, "s": postback.key, "i": postback.index})


def decode(data: str) -> MenuPostback | None:
    """Read postback data we made; anything else (old, forged, garbled) is None."""
    try:
        fields = parse_qs(data, max_num_fields=3, strict_parsing=True)
    except ValueError:
        return None
    action = _ACTIONS.get((fields.get("a") or [""])[0])
    key = (fields.get("s") or [""])[0]
    index = (fields.get("i") or [""])[0]
    if action is None or not key or not _INDEX.fullmatch(index):
        return None
    return MenuPostback(action, key, int(index))
