"""Builders for LINE webhook bodies that the captured fixtures do not cover."""

from __future__ import annotations

from linecal.chat import sign


def signed(body: bytes, channel_secret: str) -> str:
    return sign(body, channel_secret)
