"""Reading what a user typed to change a setting, forgivingly, into one checked value."""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from functools import lru_cache

MAX_REMINDER_MINUTES = 120

_ON = {"on", "オン", "はい", "yes", "true", "する", "1"}
_OFF = {"off", "オフ", "いいえ", "no", "false", "しない", "なし", "none", "0"}
# Separators people put between two times: ASCII and Japanese dashes, tildes, words.
_RANGE = re.compile(r"\s*(?:-|~|〜|～|‐|–|—|ー|から|to)\s*")
_HOUR_MINUTE = re.compile(r"(\d{1,2})(?::(\d{2})|時(?:(\d{1,2})分?|(半))?)?")
_COMPACT = re.compile(r"(\d{2})(\d{2})")
_MINUTES = re.compile(r"(\d{1,3})\s*(?:分|分前|min|mins|minutes?|m)?")
# Zones people type by their common short name.
_ZONE_ALIASES = {"jst": "Asia/Tokyo", "utc": "UTC", "gmt": "UTC", "kst": "Asia/Seoul"}


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def clock_time(text: str) -> str | None:
    """ "7:30", "07:30", "0730", "7時", "7時半", "7時30分" -> "07:30"; None if not a time."""
    folded = _folded(text).replace(" ", "")
    compact = _COMPACT.fullmatch(folded)
    if compact:
        hour, minute = int(compact[1]), int(compact[2])
    else:
        match = _HOUR_MINUTE.fullmatch(folded)
        if match is None:
            return None
        hour = int(match[1])
        minute = 30 if match[4] else int(match[2] or match[3] or 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return f"{hour:02d}:{minute:02d}"


def reminder_minutes(text: str) -> int | None:
    folded = _folded(text)
    if folded in _OFF:
        return 0
    match = _MINUTES.fullmatch(folded)
    if match is None or int(match[1]) > MAX_REMINDER_MINUTES:
        return None
    return int(match[1])


@lru_cache(maxsize=1)
def _zones_by_folded_name() -> dict[str, str]:
    return {zone.casefold(): zone for zone in zoneinfo.available_timezones()}


def time_zone(text: str) -> str | None:
    """An IANA zone name in its canonical spelling, whatever the case or spaces typed."""
    folded = _folded(text).replace(" ", "_")
    name = _ZONE_ALIASES.get(folded) or _zones_by_folded_name().get(folded)
    if name is None:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    return name


def quiet_hours(text: str) -> str | None:
    """ "23:00-07:00" and the like -> "23:00-07:00"; "off" -> "" (no quiet hours)."""
    folded = _folded(text)
    if folded in _OFF:
        return ""
    parts = _RANGE.split(folded)
    if len(parts) != 2:
        return None
    start, end = clock_time(parts[0]), clock_time(parts[1])
    if start is None or end is None or start == end:
        return None
    return f"{start}-{end}"


def on_or_off(text: str) -> bool | None:
    folded = _folded(text)
    if folded in _ON:
        return True
    if folded in _OFF:
        return False
    return None
