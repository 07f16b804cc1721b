"""The local stack built from infra/template.yaml in moto matches what the template says."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from linecal.local.stack import LocalStack, LocalStackError, deploy_local_stack

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sqs import SQSClient

REGION = "us-east-1"
# moto servers started in one process share their state (see the last test), so these tests
# use their own stack name and Stage to stay clear of any other local stack in the session.
STACK_NAME = "linecal-stacktest"
STAGE = "stacktest"
# The brief asks for < 3 s; the ceiling leaves room for a loaded 2-core CI machine while
# still catching a regression such as deploying the alarms and roles into moto.

TABLES = {
    "OAuthTokensTable": ("userId", None),
    "UserCalendarsTable": ("userId", "calendarId"),
    "SessionsTable": ("sessionKey", None),
    "WebhookEventsTable": ("webhookEventId", None),
    "UserSettingsTable": ("userId", None),
    "NotificationLogTable": ("notificationKey", None),
    "CalendarSyncTable": ("userId", "calendarId"),
    "CommandIdempotencyTable": ("id", None),
    "SubscriptionIdempotencyTable": ("id", None),
    "NotificationIdempotencyTable": ("id", None),
}
TTL_ATTRIBUTES = {
    "SessionsTable": "expiresAt",
    "WebhookEventsTable": "expiresAt",
    "NotificationLogTable": "expiresAt",
    "CommandIdempotencyTable": "expiration",
}
QUEUES = {
    "CommandQueue": "CommandDLQ",
    "SubscriptionQueue": "SubscriptionDLQ",
    "NotificationQueue": "NotificationDLQ",
}


def start_server() -> tuple[ThreadedMotoServer, str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()  # port=0: the OS picked it
    return server, f"http://{host}:{port}"


@contextmanager
def moto_in_its_own_process() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as conn:
                if conn.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("moto server did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def client(endpoint_url: str, service: str) -> Any:
    # Typed at the call sites; boto3-stubs cannot pick an overload for a str service name.
    factory: Any = boto3.client
    return factory(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    server, endpoint_url = start_server()
    try:
        yield deploy_local_stack(endpoint_url, stack_name=STACK_NAME, parameters={"Stage": STAGE})
        client(endpoint_url, "cloudformation").delete_stack(StackName=STACK_NAME)
    finally:
        server.stop()


@pytest.fixture
def sqs(stack: LocalStack) -> SQSClient:
    sqs_client: SQSClient = client(stack.endpoint_url, "sqs")
    return sqs_client


def drain(sqs: SQSClient, queue_url: str) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = got.get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_tables_have_the_template_keys_ttl_and_index(stack: LocalStack) -> None:
    dynamodb: DynamoDBClient = client(stack.endpoint_url, "dynamodb")

    for logical_id, (hash_key, range_key) in TABLES.items():
        table = dynamodb.describe_table(TableName=stack.resources[logical_id])["Table"]
        keys = {k["KeyType"]: k["AttributeName"] for k in table["KeySchema"]}
        assert keys.get("HASH") == hash_key, logical_id
        assert keys.get("RANGE") == range_key, logical_id
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"

    for logical_id, attribute in TTL_ATTRIBUTES.items():
        ttl = dynamodb.describe_time_to_live(TableName=stack.resources[logical_id])
        assert ttl["TimeToLiveDescription"]["AttributeName"] == attribute

    settings = dynamodb.describe_table(TableName=stack.resources["UserSettingsTable"])["Table"]
    indexes = {i["IndexName"]: i for i in settings["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"by-digest-minute", "by-reminder-minute"}
    for name, attribute in (
        ("by-digest-minute", "digestMinute"),
        ("by-reminder-minute", "reminderMinute"),
    ):
        index = indexes[name]
        assert [k["AttributeName"] for k in index["KeySchema"]] == [attribute, "userId"]
        assert index["Projection"]["ProjectionType"] == "KEYS_ONLY"


def test_queues_redrive_to_their_dead_letter_queues(stack: LocalStack, sqs: SQSClient) -> None:
    assert set(stack.dead_letter_queues) == set(QUEUES.values())

    for queue_id, dlq_id in QUEUES.items():
        attributes = sqs.get_queue_attributes(
            QueueUrl=stack.resources[queue_id], AttributeNames=["All"]
        )["Attributes"]
        dlq_arn = sqs.get_queue_attributes(
            QueueUrl=stack.dead_letter_queues[dlq_id], AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == dlq_arn
        assert int(redrive["maxReceiveCount"]) == 5
        assert attributes["VisibilityTimeout"] == "180"


def test_bus_archive_and_rules_exist(stack: LocalStack) -> None:
    events: EventBridgeClient = client(stack.endpoint_url, "events")
    bus_name = stack.resources["EventBus"]

    bus = events.describe_event_bus(Name=bus_name)
    archive = events.describe_archive(ArchiveName=stack.resources["EventArchive"])
    rule_names = {r["Name"] for r in events.list_rules(EventBusName=bus_name)["Rules"]}

    assert archive["EventSourceArn"] == bus["Arn"]
    assert archive["RetentionDays"] == 30
    for rule_id in ("CommandRule", "SubscriptionRule", "NotificationRule"):
        assert stack.resources[rule_id] in rule_names


def test_a_line_message_on_the_bus_reaches_only_the_command_queue(
    stack: LocalStack, sqs: SQSClient
) -> None:
    # GIVEN empty queues
    events: EventBridgeClient = client(stack.endpoint_url, "events")
    for queue_id in QUEUES:
        drain(sqs, stack.resources[queue_id])

    # WHEN the webhook publishes a LineMessageReceived, and a stranger publishes the same type
    events.put_events(
        Entries=[
            {
                "EventBusName": stack.resources["EventBus"],
                "Source": "linecal.command",
                "DetailType": "LineMessageReceived",
                "Detail": json.dumps({"marker": "ours"}),
            },
            {
                "EventBusName": stack.resources["EventBus"],
                "Source": "someone.else",
                "DetailType": "LineMessageReceived",
                "Detail": json.dumps({"marker": "theirs"}),
            },
        ]
    )

    # THEN only ours arrives, and only where the command service reads
    commands = drain(sqs, stack.resources["CommandQueue"])
    assert [(m["detail-type"], m["detail"]["marker"]) for m in commands] == [
        ("LineMessageReceived", "ours")
    ]
    assert drain(sqs, stack.resources["SubscriptionQueue"]) == []
    assert drain(sqs, stack.resources["NotificationQueue"]) == []


def test_functions_come_back_with_their_event_sources(stack: LocalStack) -> None:
    handlers = {f.logical_id: f.handler for f in stack.functions}
    assert handlers == {
        "WebhookFunction": "services.command.webhook.lambda_handler",
        "OAuthCallbackFunction": "services.command.oauth_callback.lambda_handler",
        "CommandWorkerFunction": "services.command.worker.lambda_handler",
        "SubscriptionWorkerFunction": "services.subscription.worker.lambda_handler",
        "NotificationWorkerFunction": "services.notification.worker.lambda_handler",
        "NotificationTickFunction": "services.notification.tick.lambda_handler",
    }

    (commands,) = stack.function("CommandWorkerFunction").sqs_sources
    assert commands.queue_logical_id == "CommandQueue"
    assert commands.queue_url == stack.resources["CommandQueue"]
    assert commands.queue_arn.endswith(f":linecal-{STAGE}-command")
    assert commands.batch_size == 10
    assert commands.report_batch_item_failures
    assert commands.maximum_batching_window_seconds == 1
    for worker in ("SubscriptionWorkerFunction", "NotificationWorkerFunction"):
        (source,) = stack.function(worker).sqs_sources
        assert (source.batch_size, source.report_batch_item_failures) == (10, True)

    webhook = stack.function("WebhookFunction")
    assert [(r.method, r.path) for r in webhook.http_routes] == [("POST", "/line/webhook")]
    assert webhook.timeout_seconds == 10
    callback = stack.function("OAuthCallbackFunction")
    assert [(r.method, r.path) for r in callback.http_routes] == [("GET", "/oauth/google/callback")]
    assert stack.function("NotificationTickFunction").schedules == ("rate(1 minute)",)


def test_function_environment_is_resolved_to_the_local_resources(stack: LocalStack) -> None:
    worker = stack.function("NotificationWorkerFunction").environment

    assert worker["EVENT_BUS_NAME"] == stack.resources["EventBus"] == f"linecal-{STAGE}"
    assert worker["OAUTH_TOKENS_TABLE"] == stack.resources["OAuthTokensTable"]
    assert worker["NOTIFICATION_QUEUE_URL"] == stack.resources["NotificationQueue"]
    assert worker["TOKEN_KEY_ID"] == stack.resources["TokenKey"]
    assert worker["POWERTOOLS_SERVICE_NAME"] == "notification"
    assert worker["LINE_CHANNEL_ACCESS_TOKEN_PARAM"].startswith("/linecal/")
    for function in stack.functions:
        unresolved = {k: v for k, v in function.environment.items() if "{" in v or "Ref" in v}
        assert unresolved == {}, function.logical_id


def test_the_description_survives_json(stack: LocalStack) -> None:
    served = json.loads(json.dumps(stack.to_json()))

    assert LocalStack.from_json(served) == stack


def test_a_moto_server_in_another_process_shares_nothing(stack: LocalStack, sqs: SQSClient) -> None:
    # GIVEN a second moto server in its own process, with a stack of the same name and Stage
    with moto_in_its_own_process() as endpoint_url:
        other = deploy_local_stack(
            endpoint_url,
            stack_name=STACK_NAME,
            parameters={"Stage": STAGE, "PublicBaseUrl": "http://x:9"},
        )
        other_sqs: SQSClient = client(endpoint_url, "sqs")
        drain(sqs, stack.resources["CommandQueue"])

        # WHEN a message goes to the first stack's command queue
        sqs.send_message(QueueUrl=stack.resources["CommandQueue"], MessageBody="{}")

        # THEN the second stack neither sees it nor has the first stack's tables
        assert drain(other_sqs, other.resources["CommandQueue"]) == []
        assert len(drain(sqs, stack.resources["CommandQueue"])) == 1
        other_tables = client(endpoint_url, "dynamodb").list_tables()["TableNames"]
        assert stack.resources["OAuthTokensTable"] not in other_tables
        assert (
            other.function("OAuthCallbackFunction").environment["PUBLIC_BASE_URL"] == "http://x:9"
        )


def test_moto_servers_in_one_process_share_state(stack: LocalStack) -> None:
    # moto keeps its backends in module globals: a second in-process server is a second
    # door onto the same emulator, so a second stack there needs its own name and Stage.
    server, endpoint_url = start_server()
    try:
        with pytest.raises(LocalStackError, match="already exists"):
            deploy_local_stack(endpoint_url, stack_name=STACK_NAME, parameters={"Stage": STAGE})

        other = deploy_local_stack(
            endpoint_url, stack_name=f"{STACK_NAME}-b", parameters={"Stage": f"{STAGE}-b"}
        )

        assert other.resources["EventBus"] == f"linecal-{STAGE}-b"
        assert other.resources["CommandQueue"] != stack.resources["CommandQueue"]
        # The first server sees the stack deployed through the second one.
        cfn = client(stack.endpoint_url, "cloudformation")
        assert cfn.describe_stacks(StackName=f"{STACK_NAME}-b")["Stacks"]
        cfn.delete_stack(StackName=f"{STACK_NAME}-b")
    finally:
        server.stop()
