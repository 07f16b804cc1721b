"""How long a LINE user waits for an answer: webhook POST to the reply reaching the LINE
sandbox, through the embedded local stack (moto, the SQS poller, the command worker).

    python bench/command_round_trip.py [rounds]    (at most 20: one user sends every "add")

Prints the median and the slowest round for "help" (no Google call) and for "add" with a
linked account of 30 calendars (one calendarList call). Compare runs as ratios: the local
SQS poller, not Lambda, sets most of the time.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

import requests

from linecal.chat import sign, text_event
from linecal.local.embedded import EmbeddedStack, EmbeddedStackOptions, local_setting
from shared.repositories.oauth_tokens import OAuthTokens


def round_trip(stack: EmbeddedStack, user_id: str, text: str) -> float:
    assert stack.line_sandbox is not None
    before = len(stack.line_sandbox.sent_messages(user_id))
    token = stack.line_sandbox.issue_reply_token(user_id)
    body = json.dumps({"destination": "U0", "events": [text_event(user_id, text, token)]})
    started = time.perf_counter()
    requests.post(
        f"{stack.base_url}/line/webhook",
        data=body.encode(),
        headers={"X-Line-Signature": sign(body.encode(), local_setting("LINE_CHANNEL_SECRET"))},
        timeout=10,
    )
    while len(stack.line_sandbox.sent_messages(user_id)) == before:
        time.sleep(0.005)
    return time.perf_counter() - started


def main(rounds: int) -> None:
    stack = EmbeddedStack(EmbeddedStackOptions(port=0, run_schedules=False))
    stack.start()
    try:
        assert stack.google_sandbox is not None and stack.stack is not None
        entries = [
            {"id": "me@example.com", "summary": "me", "primary": True, "accessRole": "owner"}
        ]
        entries += [
            {
                "id": f"c_{n}#x@group.calendar.google.com",
                "summary": f"Cal {n}",
                "accessRole": "reader",
            }
            for n in range(29)
        ]
        stack.google_sandbox.replace_data(
            {"accounts": {"me@example.com": {"calendarList": entries}}}
        )
        grant = stack.google_sandbox.grant_offline_access("me@example.com")
        OAuthTokens(
            stack.stack.resources["OAuthTokensTable"], os.environ["TOKEN_KEY_ID"], actor="bench"
        ).store("Ubench", str(grant["refresh_token"]))

        for text in ("help", "add"):
            # A fresh user per round keeps the 20-a-minute limit out of the figures.
            times = [
                round_trip(stack, "Ubench" if text == "add" else f"U{n}", text)
                for n in range(rounds)
            ]
            print(
                f"{text:>5}: median {statistics.median(times) * 1000:.0f} ms, "
                f"slowest {max(times) * 1000:.0f} ms over {rounds} rounds"
            )
    finally:
        stack.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
