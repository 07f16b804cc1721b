"""DynamoDB side of the migration: scanning tokens and calendars, backups and restores.

Scan keys and items stay in DynamoDB's own JSON shape (`{"S": ...}`), which is also what
the checkpoint and the JSON-lines export keep, so nothing is converted twice.
"""

from __future__ import annotations

import base64
import json
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from linecal.operations.migration import ScanKey, ScanPage, TokenRow
from linecal.operations.user_sets import DiskUserSet

Item = dict[str, Any]


class DynamoTokenTable:
    """`TokenTable` over `OAuthTokensTable`: reads ids and status, never decrypts."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def page(
        self, segment: int, total_segments: int, start_key: ScanKey | None, limit: int
    ) -> ScanPage:
        request: dict[str, Any] = {
            "TableName": self._table_name,
            "Segment": segment,
            "TotalSegments": total_segments,
            "Limit": limit,
            **TOKEN_ROW_PROJECTION,
        }
        if start_key:
            request["ExclusiveStartKey"] = start_key
        answer = self._client.scan(**request)
        rows = [token_row(item) for item in answer.get("Items", [])]
        return ScanPage(rows=rows, last_key=answer.get("LastEvaluatedKey"))


# The sealed token is read only to tell a complete row from a broken one.
TOKEN_ROW_PROJECTION = {
    "ProjectionExpression": "userId, #s, sealedToken",
    "ExpressionAttributeNames": {"#s": "status"},
}


def token_row(item: Item) -> TokenRow:
    return TokenRow(
        key={"userId": item["userId"]},
        user_id=str(item["userId"].get("S", "")),
        status=str(item.get("status", {}).get("S", "")),
        has_token="sealedToken" in item,
    )


def scan_pages(client: Any, request: dict[str, Any], segments: int = 4) -> Iterator[list[Item]]:
    """Every page of a parallel scan, following LastEvaluatedKey through empty pages."""
    # A small bounded queue: scanning threads wait while the reader is behind, so only a
    # few pages are held at any time, however large the table.
    pages: queue.Queue[list[Item] | BaseException | None] = queue.Queue(maxsize=segments * 2)

    def scan_segment(segment: int) -> None:
        try:
            kwargs = {**request, "Segment": segment, "TotalSegments": segments}
            while True:
                answer = client.scan(**kwargs)
                pages.put(answer.get("Items", []))
                if "LastEvaluatedKey" not in answer:
                    break
                kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        except BaseException as exc:  # handed to the reader, which raises it
            pages.put(exc)
        finally:
            pages.put(None)

    for segment in range(segments):
        threading.Thread(target=scan_segment, args=(segment,), daemon=True).start()
    running = segments
    while running:
        page = pages.get()
        if page is None:
            running -= 1
        elif isinstance(page, BaseException):
            raise page
        else:
            yield page


def primary_calendar_users(client: Any, table_name: str, into: DiskUserSet) -> DiskUserSet:
    """Fill `into` with the users that have a primary row in UserCalendarsTable."""
    request = {
        "TableName": table_name,
        "FilterExpression": "isPrimary = :yes",
        "ProjectionExpression": "userId",
        "ExpressionAttributeValues": {":yes": {"BOOL": True}},
    }
    for page in scan_pages(client, request):
        into.add(item["userId"]["S"] for item in page)
    return into


class SnapshotPrimaryCalendars:
    """`PrimaryCalendars` from a scan taken before the run (one scan, not a query per user)."""

    def __init__(self, users: DiskUserSet) -> None:
        self._users = users

    def users_with_primary(self, user_ids: Sequence[str]) -> set[str]:
        return self._users.present(user_ids)


class QueriedPrimaryCalendars:
    """`PrimaryCalendars` by one query per user: for staged runs over a few named users."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def users_with_primary(self, user_ids: Sequence[str]) -> set[str]:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(self._has_primary, user_ids))
        return {u for u, has in zip(user_ids, answers, strict=True) if has}

    def _has_primary(self, user_id: str) -> bool:
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table_name,
            KeyConditionExpression="userId = :u",
            FilterExpression="isPrimary = :yes",
            ExpressionAttributeValues={":u": {"S": user_id}, ":yes": {"BOOL": True}},
            ProjectionExpression="userId",
            ConsistentRead=True,
        ):
            if page.get("Items"):
                return True
        return False


class NamedTokenRows:
    """The token rows of users named in a file (a staged run), read by BatchGetItem."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def rows(self, user_ids: Sequence[str]) -> tuple[list[TokenRow], list[str]]:
        """(rows found, user ids with no row)."""
        found: dict[str, TokenRow] = {}
        for start in range(0, len(user_ids), 100):
            keys: list[Item] = [
                {"userId": {"S": u}} for u in dict.fromkeys(user_ids[start : start + 100])
            ]
            request: dict[str, Any] = {
                self._table_name: {
                    "Keys": keys,
                    **TOKEN_ROW_PROJECTION,
                }
            }
            while request:
                answer = self._client.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self._table_name, []):
                    row = token_row(item)
                    found[row.user_id] = row
                request = answer.get("UnprocessedKeys") or {}
        missing = [u for u in user_ids if u not in found]
        return [found[u] for u in user_ids if u in found], missing


# ---------------------------------------------------------------- backups


@dataclass(frozen=True)
class TableBackup:
    logical_id: str
    table_name: str
    items: int
    export_file: str
    backup_arn: str | None
    backup_note: str


def backup_tables(
    client: Any,
    tables: dict[str, str],
    directory: Path,
    on_items: Callable[[int], None] | None = None,
) -> list[TableBackup]:
    """An on-demand backup of each table where supported, and always a JSON-lines export."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results: list[TableBackup] = []
    for logical_id, table_name in tables.items():
        arn, note = _on_demand_backup(client, table_name, f"linecal-migration-{logical_id}-{stamp}")
        export = directory / f"{logical_id}.jsonl"
        count = export_table(client, table_name, export, on_items)
        results.append(TableBackup(logical_id, table_name, count, export.name, arn, note))
    manifest = {
        "taken_at": stamp,
        "tables": [backup.__dict__ for backup in results],
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return results


def _on_demand_backup(client: Any, table_name: str, name: str) -> tuple[str | None, str]:
    try:
        answer = client.create_backup(TableName=table_name, BackupName=name)
    except ClientError as error:
        return None, f"no on-demand backup: {error.response['Error'].get('Code', 'error')}"
    return str(answer["BackupDetails"]["BackupArn"]), "on-demand backup created"


def export_table(
    client: Any, table_name: str, path: Path, on_items: Callable[[int], None] | None = None
) -> int:
    """Write every item as one JSON line (DynamoDB JSON, binary as base64); the item count."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for page in scan_pages(client, {"TableName": table_name, "ConsistentRead": True}):
            for item in page:
                out.write(json.dumps(item, default=_encode_binary, ensure_ascii=False) + "\n")
            count += len(page)
            if on_items:
                on_items(len(page))
    return count


def restore_table(
    client: Any, table_name: str, path: Path, on_items: Callable[[int], None] | None = None
) -> int:
    """Put every exported item back (overwriting same keys); the item count."""
    count = 0
    batch: list[Item] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                batch.append(_decode_binary(json.loads(line)))
            if len(batch) == 25:
                _write_batch(client, table_name, batch)
                count += len(batch)
                if on_items:
                    on_items(len(batch))
                batch = []
    if batch:
        _write_batch(client, table_name, batch)
        count += len(batch)
        if on_items:
            on_items(len(batch))
    return count


def _write_batch(client: Any, table_name: str, items: list[Item]) -> None:
    request: dict[str, Any] = {table_name: [{"PutRequest": {"Item": item}} for item in items]}
    while request:
        request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def _encode_binary(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"__b64__": base64.b64encode(bytes(value)).decode("ascii")}
    raise TypeError(f"cannot export {type(value).__name__}")


def _decode_binary(node: Any) -> Any:
    if isinstance(node, dict):
        if set(node) == {"__b64__"}:
            return base64.b64decode(node["__b64__"])
        return {k: _decode_binary(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_decode_binary(v) for v in node]
    return node
