"""OAuthTokensTable: each user's Google refresh token, envelope-encrypted with a KMS key.

The command service is the only writer; the subscription and notification services read.
A data key from KMS encrypts the token with AES-GCM; only the encrypted data key is kept,
bound to the user by the KMS encryption context, so a table dump alone reveals nothing.
Every read and write is logged as an audit record (who, what, when), never the value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.observability import hash_user_id

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient

audit = Logger(service="audit", child=False)

LINKED = "linked"
REVOKED = "revoked"


@dataclass(frozen=True)
class GoogleGrant:
    user_id: str
    refresh_token: str
    status: str
    linked_at: str


@dataclass(frozen=True)
class GrantStatus:
    """What can be known about a user's link without decrypting anything."""

    user_id: str
    status: str
    linked_at: str
    revoked_notice_sent: bool


class OAuthTokens:
    """Stores and reads users' refresh tokens; never logs or returns them in errors."""

    def __init__(
        self,
        table_name: str,
        key_id: str,
        dynamodb: DynamoDBClient | None = None,
        kms: KMSClient | None = None,
        actor: str = "unknown",
    ) -> None:
        self._table_name = table_name
        self._key_id = key_id
        self._dynamodb = dynamodb or boto3.client("dynamodb")
        self._kms = kms or boto3.client("kms")
        self._actor = actor

    def _audit(self, action: str, user_id: str, **fields: Any) -> None:
        audit.info(
            "token audit",
            audit_action=action,
            audit_actor=self._actor,
            audit_user=hash_user_id(user_id),
            audit_at=datetime.now(UTC).isoformat(),
            **fields,
        )

    def store(self, user_id: str, refresh_token: str) -> None:
        """Keep (or replace) the user's refresh token and mark the link active."""
        context = {"userId": user_id}
        data_key = self._kms.generate_data_key(
            KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=context
        )
        nonce = os.urandom(12)
        sealed = AESGCM(data_key["Plaintext"]).encrypt(
            nonce, refresh_token.encode("utf-8"), user_id.encode("utf-8")
        )
        self._dynamodb.put_item(
            TableName=self._table_name,
            Item={
                "userId": {"S": user_id},
                "sealedToken": {"B": sealed},
                "nonce": {"B": nonce},
                "encryptedDataKey": {"B": data_key["CiphertextBlob"]},
                "status": {"S": LINKED},
                "linkedAt": {"S": datetime.now(UTC).isoformat()},
            },
        )
        self._audit("store", user_id)

    def load(self, user_id: str) -> GoogleGrant | None:
        """The user's decrypted grant, or None when they never linked."""
        item = self._dynamodb.get_item(
            TableName=self._table_name, Key={"userId": {"S": user_id}}, ConsistentRead=True
        ).get("Item")
        self._audit("read", user_id, found=item is not None)
        if item is None or "sealedToken" not in item:
            return None

        data_key = self._kms.decrypt(
            CiphertextBlob=item["encryptedDataKey"]["B"],
            EncryptionContext={"userId": user_id},
        )["Plaintext"]
        token = AESGCM(data_key).decrypt(
            item["nonce"]["B"], item["sealedToken"]["B"], user_id.encode("utf-8")
        )
        return GoogleGrant(
            user_id=user_id,
            refresh_token=token.decode("utf-8"),
            status=item.get("status", {}).get("S", LINKED),
            linked_at=item.get("linkedAt", {}).get("S", ""),
        )

    def status(self, user_id: str) -> GrantStatus | None:
        item = self._dynamodb.get_item(
            TableName=self._table_name,
            Key={"userId": {"S": user_id}},
            ProjectionExpression="userId, #s, linkedAt, revokedNoticeSent",
            ExpressionAttributeNames={"#s": "status"},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return None
        return GrantStatus(
            user_id=user_id,
            status=item.get("status", {}).get("S", LINKED),
            linked_at=item.get("linkedAt", {}).get("S", ""),
            revoked_notice_sent=item.get("revokedNoticeSent", {}).get("BOOL", False),
        )

    def is_linked(self, user_id: str) -> bool:
        """True when a usable refresh token is kept: linked, and not since revoked."""
        found = self.status(user_id)
        return found is not None and found.status == LINKED

    def mark_revoked(self, user_id: str) -> bool:
        """Mark the link revoked; True only the first time, so the user is told once."""
        try:
            self._dynamodb.update_item(
                TableName=self._table_name,
                Key={"userId": {"S": user_id}},
                UpdateExpression="SET #s = :revoked, revokedNoticeSent = :true",
                ConditionExpression="attribute_exists(userId) AND #s <> :revoked",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":revoked": {"S": REVOKED}, ":true": {"BOOL": True}},
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        self._audit("mark_revoked", user_id)
        return True

    def delete(self, user_id: str) -> None:
        self._dynamodb.delete_item(TableName=self._table_name, Key={"userId": {"S": user_id}})
        self._audit("delete", user_id)
