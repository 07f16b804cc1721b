"""Structured logs without personal data."""

from __future__ import annotations

import hashlib


def hash_user_id(user_id: str) -> str:
    """A stable pseudonym for a LINE user id, so logs can be joined without naming anyone."""
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:16]
