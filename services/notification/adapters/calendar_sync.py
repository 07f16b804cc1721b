"""CalendarSyncTable: per user and calendar, the sync token and the cached events.

The events are stored as compressed JSON in the calendar's row. DynamoDB items are at most
400 KB, so a copy too big for one row is written as numbered part rows under a new
version first, then the row pointing at them, then the old version's parts are deleted;
a reader only follows the version its row names. One query by userId reads all of it.
"""

from __future__ import annotations

import json
import uuid
import zlib
from typing import TYPE_CHECKING, Any

import boto3

from services.notification.domain.calendar_sync import CalendarCache

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

# Well under 400 KB, leaving room for the keys and the other attributes.
MAX_INLINE_BYTES = 350_000
PART_PREFIX = "~part~"


class CalendarSyncTable:
    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient | None = None,
        max_inline_bytes: int = MAX_INLINE_BYTES,
    ) -> None:
        self._table = table_name
        self._client = client or boto3.client("dynamodb")
        self._max_inline = max_inline_bytes

    def load_all(self, user_id: str) -> dict[str, CalendarCache]:
        heads: dict[str, dict[str, Any]] = {}
        parts: dict[tuple[str, str], dict[int, bytes]] = {}
        for item in self._items(user_id):
            if "partOf" in item:
                key = (item["partOf"]["S"], item["version"]["S"])
                parts.setdefault(key, {})[int(item["index"]["N"])] = bytes(item["data"]["B"])
            else:
                heads[item["calendarId"]["S"]] = item

        caches = {}
        for calendar_id, head in heads.items():
            if "data" in head:
                blob = bytes(head["data"]["B"])
            else:
                found = parts.get((calendar_id, head["version"]["S"]), {})
                count = int(head["parts"]["N"])
                if set(found) != set(range(count)):
                    continue  # a copy half written by a crashed save: sync afresh
                blob = b"".join(found[i] for i in range(count))
            token = head.get("syncToken", {}).get("S")
            data = json.loads(zlib.decompress(blob))
            caches[calendar_id] = CalendarCache.from_json(calendar_id, token, data)
        return caches

    def save(self, user_id: str, cache: CalendarCache) -> None:
        blob = zlib.compress(json.dumps(cache.to_json(), separators=(",", ":")).encode())
        head: dict[str, AttributeValueTypeDef] = {
            "userId": {"S": user_id},
            "calendarId": {"S": cache.calendar_id},
        }
        if cache.sync_token:
            head["syncToken"] = {"S": cache.sync_token}
        if len(blob) <= self._max_inline:
            head["data"] = {"B": blob}
        else:
            version = uuid.uuid4().hex
            chunks = [blob[i : i + self._max_inline] for i in range(0, len(blob), self._max_inline)]
            for index, chunk in enumerate(chunks):
                self._client.put_item(
                    TableName=self._table,
                    Item={
                        "userId": {"S": user_id},
                        "calendarId": {"S": _part_key(cache.calendar_id, version, index)},
                        "partOf": {"S": cache.calendar_id},
                        "version": {"S": version},
                        "index": {"N": str(index)},
                        "data": {"B": chunk},
                    },
                )
            head["version"] = {"S": version}
            head["parts"] = {"N": str(len(chunks))}

        old = self._client.put_item(TableName=self._table, Item=head, ReturnValues="ALL_OLD")
        self._delete_parts(user_id, cache.calendar_id, old.get("Attributes", {}))

    def delete(self, user_id: str, calendar_id: str) -> None:
        old = self._client.delete_item(
            TableName=self._table,
            Key={"userId": {"S": user_id}, "calendarId": {"S": calendar_id}},
            ReturnValues="ALL_OLD",
        )
        self._delete_parts(user_id, calendar_id, old.get("Attributes", {}))

    def delete_all(self, user_id: str) -> None:
        for item in self._items(user_id, keys_only=True):
            self._client.delete_item(
                TableName=self._table,
                Key={"userId": item["userId"], "calendarId": item["calendarId"]},
            )

    def _delete_parts(self, user_id: str, calendar_id: str, old: dict[str, Any]) -> None:
        if "parts" not in old:
            return
        version = old["version"]["S"]
        for index in range(int(old["parts"]["N"])):
            self._client.delete_item(
                TableName=self._table,
                Key={
                    "userId": {"S": user_id},
                    "calendarId": {"S": _part_key(calendar_id, version, index)},
                },
            )

    def _items(self, user_id: str, keys_only: bool = False) -> list[dict[str, Any]]:
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "userId = :u",
            "ExpressionAttributeValues": {":u": {"S": user_id}},
            "ConsistentRead": True,
        }
        if keys_only:
            arguments["ProjectionExpression"] = "userId, calendarId"
        items: list[dict[str, Any]] = []
        for page in self._client.get_paginator("query").paginate(**arguments):
            items.extend(page.get("Items", []))
        return items


def _part_key(calendar_id: str, version: str, index: int) -> str:
    return f"{PART_PREFIX}{version}~{index}~{calendar_id}"
