"""Guards on infra/template.yaml that cfn-lint does not know about: least privilege, one
writer per table, encrypted storage, and consumers that cannot lose or loop on messages."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from linecal.local.stack import load_template

Template = Mapping[str, Any]

WRITE_ACTIONS = frozenset(
    {
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:TransactWriteItems",
        "dynamodb:PartiQLInsert",
        "dynamodb:PartiQLUpdate",
        "dynamodb:PartiQLDelete",
    }
)
POLICY_RESOURCE_TYPES = frozenset(
    {
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::S3::BucketPolicy",
    }
)
LAMBDA_DEFAULT_TIMEOUT = 3


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template()


# ---------------------------------------------------------------- template walkers


def resources_of(template: Template, kind: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_statements(template: Template) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(owner, statement, is_key_policy) for every policy document in the template."""
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        documents: list[Any] = []
        if resource["Type"] == "AWS::IAM::Role":
            documents += [p["PolicyDocument"] for p in props.get("Policies", [])]
        elif resource["Type"] in POLICY_RESOURCE_TYPES:
            documents.append(props["PolicyDocument"])
        elif resource["Type"] == "AWS::Serverless::Function":
            documents += [p for p in as_list(props.get("Policies", [])) if "Statement" in p]
        for document in documents:
            for statement in as_list(document["Statement"]):
                yield logical_id, statement, False
        if resource["Type"] == "AWS::KMS::Key":
            for statement in props["KeyPolicy"]["Statement"]:
                yield logical_id, statement, True


def is_wildcard_action(action: Any) -> bool:
    return isinstance(action, str) and (action == "*" or action.endswith(":*"))


def referenced_ids(node: Any) -> set[str]:
    """Logical ids a resource expression points at (Ref, GetAtt, ${X.Arn} in Sub)."""
    if isinstance(node, list):
        return set().union(*(referenced_ids(n) for n in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    if "Ref" in node:
        return {node["Ref"]}
    if "Fn::GetAtt" in node:
        return {as_list(node["Fn::GetAtt"])[0].split(".")[0]}
    if "Fn::Sub" in node:
        text = as_list(node["Fn::Sub"])[0]
        return {part.split("}")[0].split(".")[0] for part in text.split("${")[1:]}
    return set().union(*(referenced_ids(v) for v in node.values()))


def function_timeout(template: Template, function: Mapping[str, Any]) -> int:
    globals_ = template.get("Globals", {}).get("Function", {})
    return int(
        function["Properties"].get("Timeout", globals_.get("Timeout", LAMBDA_DEFAULT_TIMEOUT))
    )


def service_of(function: Mapping[str, Any]) -> str:
    # Handlers are services.<service>.<module>.lambda_handler.
    return str(function["Properties"]["Handler"]).split(".")[1]


def function_statements(template: Template, function: Mapping[str, Any]) -> list[dict[str, Any]]:
    props = function["Properties"]
    statements = [
        s
        for p in as_list(props.get("Policies", []))
        if isinstance(p, dict) and "Statement" in p
        for s in as_list(p["Statement"])
    ]
    if "Role" in props:
        role = template["Resources"][referenced_ids(props["Role"]).pop()]
        for policy in role["Properties"].get("Policies", []):
            statements += as_list(policy["PolicyDocument"]["Statement"])
    return statements


def table_writers(template: Template) -> dict[str, set[str]]:
    tables = set(resources_of(template, "AWS::DynamoDB::Table"))
    writers: dict[str, set[str]] = {t: set() for t in tables}
    for function in resources_of(template, "AWS::Serverless::Function").values():
        for statement in function_statements(template, function):
            if statement.get("Effect") != "Allow":
                continue
            if not WRITE_ACTIONS & set(as_list(statement["Action"])):
                continue
            for table in referenced_ids(statement["Resource"]) & tables:
                writers[table].add(service_of(function))
    return writers


def dead_letter_queue_ids(template: Template) -> set[str]:
    return {
        referenced_ids(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]).pop()
        for q in resources_of(template, "AWS::SQS::Queue").values()
        if "RedrivePolicy" in q.get("Properties", {})
    }


def sqs_event_sources(template: Template) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(function id, SQS event properties, queue logical id)."""
    for fn_id, function in resources_of(template, "AWS::Serverless::Function").items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                queue_id = referenced_ids(event["Properties"]["Queue"]).pop()
                yield fn_id, event["Properties"], queue_id


# ---------------------------------------------------------------- least privilege


def test_no_policy_statement_grants_a_wildcard_action_or_resource(template: Template) -> None:
    offending = []
    for owner, statement, is_key_policy in policy_statements(template):
        if "NotAction" in statement or "NotResource" in statement:
            offending.append((owner, statement.get("Sid"), "NotAction/NotResource"))
        if any(is_wildcard_action(a) for a in as_list(statement.get("Action", []))):
            offending.append((owner, statement.get("Sid"), statement["Action"]))
        # In a key policy Resource "*" means "this key"; it is the only value KMS accepts.
        if not is_key_policy and "*" in as_list(statement.get("Resource", [])):
            offending.append((owner, statement.get("Sid"), "Resource *"))

    assert offending == []


def test_every_function_has_its_own_role(template: Template) -> None:
    # SAM's generated roles carry AWS managed policies granting logs and SQS on "*".
    functions = resources_of(template, "AWS::Serverless::Function")
    roles = [referenced_ids(f["Properties"].get("Role")) for f in functions.values()]

    assert all(len(r) == 1 for r in roles)
    assert len(set().union(*roles)) == len(functions)


def test_every_table_is_written_by_exactly_one_service(template: Template) -> None:
    writers = table_writers(template)

    assert {table: services for table, services in writers.items() if len(services) != 1} == {}


def test_command_service_owns_the_oauth_tokens(template: Template) -> None:
    assert table_writers(template)["OAuthTokensTable"] == {"command"}


# ---------------------------------------------------------------- encryption at rest


def test_every_table_is_encrypted(template: Template) -> None:
    tables = resources_of(template, "AWS::DynamoDB::Table")
    unencrypted = [
        k
        for k, t in tables.items()
        if not t["Properties"].get("SSESpecification", {}).get("SSEEnabled")
    ]

    assert unencrypted == []


def test_every_queue_is_encrypted(template: Template) -> None:
    queues = resources_of(template, "AWS::SQS::Queue")
    unencrypted = [
        k
        for k, q in queues.items()
        if not (
            q["Properties"].get("SqsManagedSseEnabled") or q["Properties"].get("KmsMasterKeyId")
        )
    ]

    assert unencrypted == []


# ---------------------------------------------------------------- consumers


def test_every_sqs_consumer_reports_batch_item_failures(template: Template) -> None:
    missing = [
        fn_id
        for fn_id, props, _ in sqs_event_sources(template)
        if "ReportBatchItemFailures" not in props.get("FunctionResponseTypes", [])
    ]

    assert missing == []


def test_every_queue_but_a_dead_letter_queue_has_a_redrive_policy(template: Template) -> None:
    dlqs = dead_letter_queue_ids(template)
    queues = resources_of(template, "AWS::SQS::Queue")
    without = [
        k for k, q in queues.items() if k not in dlqs and "RedrivePolicy" not in q["Properties"]
    ]

    assert dlqs
    assert without == []


def test_every_dead_letter_queue_accepts_only_its_source_queue(template: Template) -> None:
    queues = resources_of(template, "AWS::SQS::Queue")
    policies = {
        k: queues[k]["Properties"].get("RedriveAllowPolicy", {})
        for k in dead_letter_queue_ids(template)
    }

    assert {k: p.get("redrivePermission") for k, p in policies.items()} == {
        k: "byQueue" for k in policies
    }


def test_visibility_timeout_is_at_least_six_times_the_consumer_timeout(template: Template) -> None:
    functions = template["Resources"]
    too_short = []
    for fn_id, _, queue_id in sqs_event_sources(template):
        visibility = int(functions[queue_id]["Properties"].get("VisibilityTimeout", 30))
        if visibility < 6 * function_timeout(template, functions[fn_id]):
            too_short.append((queue_id, fn_id, visibility))

    assert too_short == []


# ---------------------------------------------------------------- the checks themselves


def test_the_single_writer_check_catches_a_second_writer() -> None:
    # GIVEN a table that functions of two services both update
    def function(handler: str) -> dict[str, Any]:
        statement = {
            "Effect": "Allow",
            "Action": ["dynamodb:UpdateItem"],
            "Resource": {"Fn::Sub": "${T.Arn}"},
        }
        return {
            "Type": "AWS::Serverless::Function",
            "Properties": {"Handler": handler, "Policies": [{"Statement": [statement]}]},
        }

    template = {
        "Resources": {
            "T": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
            "A": function("services.command.worker.lambda_handler"),
            "B": function("services.notification.worker.lambda_handler"),
        }
    }

    # WHEN / THEN
    assert table_writers(template) == {"T": {"command", "notification"}}


def test_the_wildcard_check_catches_a_service_wildcard() -> None:
    assert is_wildcard_action("dynamodb:*")
    assert is_wildcard_action("*")
    assert not is_wildcard_action("dynamodb:GetItem")
