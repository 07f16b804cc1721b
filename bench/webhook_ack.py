"""How fast the webhook answers LINE, next to a bare PutEvents round trip to the same emulator.

    python bench/webhook_ack.py [--requests 300] [--url http://127.0.0.1:8080]

Without --url it starts its own `linecal local up`. Each request is a signed one-event
body (a new webhook event id every time), exactly as `linecal chat` sends it; the bot
answers each one in the background, as it would on AWS. Goal: ratio of medians <= 1.5.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import boto3
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.local_stack import running_local_stack  # noqa: E402
from linecal.chat import BOT_USER_ID, sign, text_event  # noqa: E402
from linecal.local.embedded import local_setting  # noqa: E402
from shared.events import COMMAND_SOURCE, LineMessageReceived  # noqa: E402


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def time_webhook(url: str, count: int, offset: int = 0) -> list[float]:
    secret = local_setting("LINE_CHANNEL_SECRET")
    session = requests.Session()
    samples = []
    for index in range(offset, offset + count):
        event = text_event(f"Ubench{index % 50:027d}", "help", reply_token="0" * 32)
        body = json.dumps({"destination": BOT_USER_ID, "events": [event]}).encode()
        headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body, secret)}
        started = time.perf_counter()
        answer = session.post(f"{url}/line/webhook", data=body, headers=headers, timeout=30)
        samples.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise SystemExit(f"webhook answered {answer.status_code}")
    return samples


def time_put_events(url: str, count: int, offset: int = 0) -> list[float]:
    stack = requests.get(f"{url}/sandbox/stack", timeout=5).json()["stack"]
    events = boto3.client(
        "events",
        endpoint_url=stack["endpoint_url"],
        region_name=stack["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bus = stack["resources"]["EventBus"]
    samples = []
    for index in range(offset, offset + count):
        # The very event the webhook publishes for "help", so both routes do the same
        # bus work (rule matching, delivery to the command queue) and the same follow-up.
        event = LineMessageReceived(
            user_id=f"Ubench{index % 50:027d}",
            webhook_event_id=f"bench{index:021d}",
            reply_token="0" * 32,
            intent="help",
            language="en",
        )
        entry = {
            "EventBusName": bus,
            "Source": COMMAND_SOURCE,
            "DetailType": event.detail_type(),
            "Detail": event.model_dump_json(),
        }
        started = time.perf_counter()
        events.put_events(Entries=[entry])
        samples.append(time.perf_counter() - started)
    return samples


def report(name: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    p99 = percentile(samples, 0.99)
    print(f"{name:<22} median {median * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--url", default=None, help="a running local stack (else start one)")
    args = parser.parse_args()

    def run(url: str) -> None:
        time_webhook(url, 10)  # warm: first imports, first table access
        # Alternate the two in rounds of ten, so both meet the same background work (the
        # command worker answering what was already sent) rather than one phase inheriting
        # the other's backlog.
        put_events: list[float] = []
        webhook: list[float] = []
        for _ in range(args.requests // 10):
            put_events += time_put_events(url, 10, offset=len(put_events))
            webhook += time_webhook(url, 10, offset=len(webhook))
        print(f"{args.requests} requests each, against {url}")
        bare = report("PutEvents round trip", put_events)
        ours = report("webhook answer", webhook)
        print(f"ratio of medians (webhook / PutEvents): {ours / bare:.2f}   goal <= 1.5")

    if args.url:
        run(args.url)
    else:
        with running_local_stack("--no-schedules") as url:
            run(url)


if __name__ == "__main__":
    main()
