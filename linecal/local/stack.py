"""Deploy infra/template.yaml into a moto server, so local runs use the same description as AWS.

The SAM template is translated with aws-sam-translator exactly as CloudFormation would do it.
moto then creates the resources it can emulate (tables, queues, bus, rules, archive, keys);
the functions cannot run inside moto, so their definitions (handler, environment, event
sources) are read from the translated template and resolved against the physical ids moto
gave, for the local runner to invoke in process.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import yaml
from botocore.exceptions import ClientError
from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_sqs import SQSClient

# Only what the local runtime uses. Everything else in the template is operations on AWS
# (IAM, log groups, alarms, dashboard, audit trail, queue policies) or cannot run in moto
# (Lambda, API Gateway); leaving it out also keeps the deploy well under a second.
LOCAL_RESOURCE_TYPES = frozenset(
    {
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::Events::EventBus",
        "AWS::Events::Archive",
        "AWS::Events::Rule",
        "AWS::KMS::Key",
        "AWS::KMS::Alias",
    }
)

# Values for parameters that have no default, or whose default only makes sense on AWS.
LOCAL_PARAMETER_DEFAULTS: dict[str, str] = {
    "Stage": "local",
    "GoogleClientId": "local-google-client-id",
    "EnableTokenAudit": "false",
}

# aws-sam-translator insists on an S3 location; nothing is ever uploaded locally.
_PLACEHOLDER_CODE_URI = "s3://linecal-local-code/bundle.zip"
_NO_VALUE = object()


class LocalStackError(RuntimeError):
    """The template could not be deployed into the emulator."""


@dataclass(frozen=True)
class SqsEventSource:
    queue_logical_id: str
    queue_url: str
    queue_arn: str
    batch_size: int
    report_batch_item_failures: bool
    maximum_batching_window_seconds: int


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str


@dataclass(frozen=True)
class LocalFunction:
    logical_id: str
    handler: str
    environment: dict[str, str]
    timeout_seconds: int
    sqs_sources: tuple[SqsEventSource, ...] = ()
    http_routes: tuple[HttpRoute, ...] = ()
    schedules: tuple[str, ...] = ()


@dataclass(frozen=True)
class LocalStack:
    stack_name: str
    endpoint_url: str
    region: str
    resources: dict[str, str]
    functions: tuple[LocalFunction, ...]
    dead_letter_queues: dict[str, str] = field(default_factory=dict)

    def function(self, logical_id: str) -> LocalFunction:
        """The function with this logical id; KeyError if the template has none."""
        for fn in self.functions:
            if fn.logical_id == logical_id:
                return fn
        raise KeyError(logical_id)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> LocalStack:
        functions = tuple(
            LocalFunction(
                logical_id=f["logical_id"],
                handler=f["handler"],
                environment=dict(f["environment"]),
                timeout_seconds=int(f["timeout_seconds"]),
                sqs_sources=tuple(SqsEventSource(**s) for s in f["sqs_sources"]),
                http_routes=tuple(HttpRoute(**r) for r in f["http_routes"]),
                schedules=tuple(f["schedules"]),
            )
            for f in d["functions"]
        )
        return cls(
            stack_name=d["stack_name"],
            endpoint_url=d["endpoint_url"],
            region=d["region"],
            resources=dict(d["resources"]),
            functions=functions,
            dead_letter_queues=dict(d["dead_letter_queues"]),
        )


def default_template_path() -> Path:
    """<repo>/infra/template.yaml."""
    return Path(__file__).resolve().parents[2] / "infra" / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns CloudFormation short tags into their long JSON forms."""


def _construct_intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise LocalStackError(f"unexpected YAML node for !{suffix}")
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: Path | None = None) -> dict[str, Any]:
    """The raw (untranslated) template as plain dicts, short tags expanded."""
    text = (path or default_template_path()).read_text(encoding="utf-8")
    # _CfnLoader is a SafeLoader: only plain data and the intrinsic tags are built.
    loaded = yaml.load(text, Loader=_CfnLoader)  # noqa: S506
    if not isinstance(loaded, dict):
        raise LocalStackError("template is not a mapping")
    return loaded


def translate_template(
    template: Mapping[str, Any], parameters: Mapping[str, str], region: str
) -> dict[str, Any]:
    """Run the SAM transform offline, as CloudFormation would on deploy."""
    sam = copy.deepcopy(dict(template))
    for resource in sam.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = _PLACEHOLDER_CODE_URI
    function_globals = sam.get("Globals", {}).get("Function", {})
    if "CodeUri" in function_globals:
        function_globals["CodeUri"] = _PLACEHOLDER_CODE_URI

    # NOTE: the translator reads the region from a boto3 session; passing one avoids
    # depending on AWS_DEFAULT_REGION. No managed policies are named, so the map is empty.
    # Its usage metrics go nowhere; publishing them just stops a warning at exit.
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    session = boto3.session.Session(region_name=region)
    translator = Translator({}, Parser(), boto_session=session, metrics=metrics)
    translated: dict[str, Any] = translator.translate(
        sam, parameter_values=dict(parameters), get_managed_policy_map=dict
    )
    metrics.publish()
    return translated


def deploy_local_stack(
    endpoint_url: str,
    template_path: Path | None = None,
    stack_name: str = "linecal-local",
    region: str = "us-east-1",
    parameters: dict[str, str] | None = None,
) -> LocalStack:
    """Create the template's tables, queues, bus and rules in moto; describe its functions."""
    template = load_template(template_path)
    values = _parameter_values(template, parameters or {})
    translated = translate_template(template, values, region)

    # moto accepts any credentials; fixed ones keep a developer's real profile out of it.
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )
    # NOTE: no CloudFormation stubs are installed, so this one client stays untyped.
    cfn: Any = session.client("cloudformation", endpoint_url=endpoint_url)
    moto_template = _moto_template(translated)
    try:
        cfn.create_stack(
            StackName=stack_name,
            TemplateBody=json.dumps(moto_template),
            Parameters=[
                {"ParameterKey": k, "ParameterValue": v}
                for k, v in values.items()
                if k in moto_template.get("Parameters", {})
            ],
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "AlreadyExistsException":
            raise
        # NOTE: moto keeps its state in module globals, so every moto server started in one
        # process sees the same stacks; the queue and bus names also derive from Stage.
        raise LocalStackError(
            f"stack {stack_name} already exists in this moto (servers in one process share "
            "state): use another stack_name and Stage, or a moto server in its own process"
        ) from error
    _wait_for_create(cfn, stack_name)
    physical = _physical_ids(cfn, stack_name)
    resolver = _Resolver(session, endpoint_url, translated, physical, values, region, stack_name)
    _fill_missing_physical_ids(physical, translated, resolver, stack_name)
    _enable_time_to_live(session, endpoint_url, translated, physical)

    functions = tuple(
        _local_function(logical_id, template, translated, resolver)
        for logical_id, resource in translated["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
    )
    return LocalStack(
        stack_name=stack_name,
        endpoint_url=endpoint_url,
        region=region,
        resources=physical,
        functions=functions,
        dead_letter_queues={
            dlq: physical[dlq] for dlq in _dead_letter_queue_ids(translated) if dlq in physical
        },
    )


def _parameter_values(template: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, str]:
    declared: dict[str, Any] = template.get("Parameters", {})
    unknown = set(given) - set(declared)
    if unknown:
        raise LocalStackError(f"parameters not in the template: {sorted(unknown)}")
    values: dict[str, str] = {}
    for name, spec in declared.items():
        if name in given:
            values[name] = given[name]
        elif name in LOCAL_PARAMETER_DEFAULTS:
            values[name] = LOCAL_PARAMETER_DEFAULTS[name]
        elif "Default" in spec:
            values[name] = str(spec["Default"])
        else:
            values[name] = "local"
    return values


def _moto_template(translated: Mapping[str, Any]) -> dict[str, Any]:
    resources: dict[str, Any] = {
        k: copy.deepcopy(v)
        for k, v in translated["Resources"].items()
        if v["Type"] in LOCAL_RESOURCE_TYPES
    }
    # A kept type may still point at something dropped (the schedule rule targets a
    # function): drop those too, until what is left only refers to what is left.
    parameters = set(translated.get("Parameters", {}))
    while True:
        dangling = [k for k, v in resources.items() if _references(v) - set(resources) - parameters]
        if not dangling:
            break
        for k in dangling:
            del resources[k]
    for resource in resources.values():
        depends = resource.get("DependsOn")
        if depends is not None:
            kept = [
                d for d in ([depends] if isinstance(depends, str) else depends) if d in resources
            ]
            if kept:
                resource["DependsOn"] = kept
            else:
                del resource["DependsOn"]
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": translated.get("Parameters", {}),
        "Conditions": translated.get("Conditions", {}),
        "Resources": resources,
    }


def _references(node: Any) -> set[str]:
    """Logical ids (and parameter names) a template node refers to."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".", 1)[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found.update(_sub_names(text))
                if isinstance(value, list):
                    found -= set(value[1])
                    found |= _references(value[1])
            elif key == "DependsOn":
                continue
            else:
                found |= _references(value)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item)
    return {name for name in found if not name.startswith("AWS::")}


def _sub_names(text: str) -> set[str]:
    names: set[str] = set()
    start = text.find("${")
    while start != -1:
        end = text.find("}", start)
        if end == -1:
            break
        expr = text[start + 2 : end]
        if not expr.startswith("!"):
            names.add(expr.split(".", 1)[0])
        start = text.find("${", end)
    return names


def _wait_for_create(cfn: Any, stack_name: str, timeout_seconds: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_seconds
    while True:
        status = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
        if status == "CREATE_COMPLETE":
            return
        if not status.endswith("IN_PROGRESS") or time.monotonic() > deadline:
            events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
            reasons = [
                f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}"
                for e in events
                if e.get("ResourceStatus", "").endswith("FAILED")
            ]
            raise LocalStackError(f"stack {stack_name} ended in {status}: {reasons}")
        time.sleep(0.05)


def _physical_ids(cfn: Any, stack_name: str) -> dict[str, str]:
    # NOTE: moto raises inside describe_stack_resources; list_stack_resources works.
    physical: dict[str, str] = {}
    kwargs: dict[str, str] = {"StackName": stack_name}
    while True:
        page = cfn.list_stack_resources(**kwargs)
        for summary in page["StackResourceSummaries"]:
            physical[summary["LogicalResourceId"]] = summary["PhysicalResourceId"]
        if not page.get("NextToken"):
            return physical
        kwargs["NextToken"] = page["NextToken"]


def _fill_missing_physical_ids(
    physical: dict[str, str],
    translated: Mapping[str, Any],
    resolver: _Resolver,
    stack_name: str,
) -> None:
    # NOTE: moto reports an empty physical id for event buses and archives. On AWS a bus's
    # physical id is its name, and an archive's is its (possibly generated) name.
    for logical_id, resource in translated["Resources"].items():
        if physical.get(logical_id) != "":
            continue
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Events::EventBus":
            physical[logical_id] = str(resolver.resolve(props["Name"]))
        elif resource["Type"] == "AWS::Events::Archive":
            physical[logical_id] = (
                str(resolver.resolve(props["ArchiveName"]))
                if "ArchiveName" in props
                else resolver.generated_archive_name(f"{stack_name}-{logical_id}-")
            )


def _enable_time_to_live(
    session: boto3.session.Session,
    endpoint_url: str,
    translated: Mapping[str, Any],
    physical: Mapping[str, str],
) -> None:
    # NOTE: moto's CloudFormation ignores TimeToLiveSpecification. Items never expire in moto
    # anyway, but code and tests that describe the TTL should see what AWS would report.
    dynamodb: DynamoDBClient = session.client("dynamodb", endpoint_url=endpoint_url)
    for logical_id, resource in translated["Resources"].items():
        spec = resource.get("Properties", {}).get("TimeToLiveSpecification")
        if resource["Type"] != "AWS::DynamoDB::Table" or not spec or logical_id not in physical:
            continue
        dynamodb.update_time_to_live(
            TableName=physical[logical_id],
            TimeToLiveSpecification={
                "AttributeName": spec["AttributeName"],
                "Enabled": bool(spec.get("Enabled", True)),
            },
        )


def _dead_letter_queue_ids(translated: Mapping[str, Any]) -> list[str]:
    dlqs: list[str] = []
    for resource in translated["Resources"].values():
        if resource["Type"] != "AWS::SQS::Queue":
            continue
        target = resource.get("Properties", {}).get("RedrivePolicy", {}).get("deadLetterTargetArn")
        if isinstance(target, dict) and "Fn::GetAtt" in target:
            dlqs.append(target["Fn::GetAtt"][0])
    return dlqs


class _Resolver:
    """Evaluates CloudFormation intrinsics against what moto created."""

    def __init__(
        self,
        session: boto3.session.Session,
        endpoint_url: str,
        translated: Mapping[str, Any],
        physical: Mapping[str, str],
        parameters: Mapping[str, str],
        region: str,
        stack_name: str,
    ) -> None:
        self._session = session
        self._endpoint_url = endpoint_url
        self._resources: Mapping[str, Any] = translated["Resources"]
        self._conditions: Mapping[str, Any] = translated.get("Conditions", {})
        self._physical = physical
        self._parameters = parameters
        self._region = region
        self._stack_name = stack_name
        self._attributes: dict[tuple[str, str], str] = {}
        self._account_id: str | None = None
        self._clients: dict[str, Any] = {}

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.resolve(i) for i in node) if v is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            handler = self._intrinsics().get(key)
            if handler is not None:
                return handler(value)
        resolved = {k: self.resolve(v) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def _intrinsics(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att_node,
            "Fn::Sub": self._sub,
            "Fn::Join": lambda v: str(v[0]).join(str(x) for x in self.resolve(v[1])),
            "Fn::Select": lambda v: self.resolve(v[1])[int(self.resolve(v[0]))],
            "Fn::If": self._if,
        }

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        pseudo = {
            "AWS::Region": lambda: self._region,
            "AWS::Partition": lambda: "aws",
            "AWS::URLSuffix": lambda: "amazonaws.com",
            "AWS::StackName": lambda: self._stack_name,
            "AWS::AccountId": self._account,
        }
        if name in pseudo:
            return pseudo[name]()
        if name in self._parameters:
            return self._parameters[name]
        if name in self._physical:
            return self._physical[name]
        raise LocalStackError(f"cannot resolve Ref {name}: not created in the local stack")

    def _get_att_node(self, value: Any) -> str:
        logical_id, attribute = value if isinstance(value, list) else value.split(".", 1)
        return self._get_att(str(logical_id), str(self.resolve(attribute)))

    def _sub(self, value: Any) -> str:
        text, variables = (
            (value[0], self.resolve(value[1]))
            if isinstance(value, list)
            else (
                value,
                {},
            )
        )
        out: list[str] = []
        pos = 0
        while (start := text.find("${", pos)) != -1:
            end = text.index("}", start)
            out.append(text[pos:start])
            expr = text[start + 2 : end]
            if expr.startswith("!"):
                out.append("${" + expr[1:] + "}")
            elif expr in variables:
                out.append(str(variables[expr]))
            elif "." in expr and not expr.startswith("AWS::"):
                logical_id, attribute = expr.split(".", 1)
                out.append(self._get_att(logical_id, attribute))
            else:
                out.append(str(self._ref(expr)))
            pos = end + 1
        out.append(text[pos:])
        return "".join(out)

    def _if(self, value: list[Any]) -> Any:
        name, when_true, when_false = value
        return self.resolve(when_true if self._condition(name) else when_false)

    def _condition(self, name: str) -> bool:
        return self._evaluate(self._conditions[name])

    def _evaluate(self, node: Any) -> bool:
        ((key, value),) = node.items()
        if key == "Fn::Equals":
            left, right = (self.resolve(v) for v in value)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self._evaluate(value[0])
        if key == "Fn::And":
            return all(self._evaluate(v) for v in value)
        if key == "Fn::Or":
            return any(self._evaluate(v) for v in value)
        if key == "Condition":
            return self._condition(value)
        raise LocalStackError(f"unsupported condition function {key}")

    def _account(self) -> str:
        if self._account_id is None:
            sts: Any = self._client("sts")
            self._account_id = str(sts.get_caller_identity()["Account"])
        return self._account_id

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(
                service,
                endpoint_url=self._endpoint_url,  # type: ignore[call-overload]
            )
        return self._clients[service]

    def _get_att(self, logical_id: str, attribute: str) -> str:
        key = (logical_id, attribute)
        if key not in self._attributes:
            self._attributes[key] = self._fetch_attribute(logical_id, attribute)
        return self._attributes[key]

    def generated_archive_name(self, prefix: str) -> str:
        """The name CloudFormation generated for an archive created without ArchiveName."""
        events: EventBridgeClient = self._client("events")
        names = [a["ArchiveName"] for a in events.list_archives(NamePrefix=prefix)["Archives"]]
        if len(names) != 1:
            raise LocalStackError(f"expected one archive named {prefix}*, found {names}")
        return names[0]

    def _fetch_attribute(self, logical_id: str, attribute: str) -> str:
        if logical_id not in self._physical:
            raise LocalStackError(f"cannot resolve {logical_id}.{attribute}: not created locally")
        physical = self._physical[logical_id]
        kind = self._resources[logical_id]["Type"]
        if kind == "AWS::SQS::Queue":
            sqs: SQSClient = self._client("sqs")
            if attribute == "Arn":
                attrs = sqs.get_queue_attributes(QueueUrl=physical, AttributeNames=["QueueArn"])
                return attrs["Attributes"]["QueueArn"]
            if attribute == "QueueName":
                return physical.rsplit("/", 1)[-1]
            if attribute == "QueueUrl":
                return physical
        elif kind == "AWS::DynamoDB::Table" and attribute == "Arn":
            dynamodb: DynamoDBClient = self._client("dynamodb")
            return dynamodb.describe_table(TableName=physical)["Table"]["TableArn"]
        elif kind == "AWS::Events::EventBus":
            events: EventBridgeClient = self._client("events")
            bus = events.describe_event_bus(Name=physical)
            if attribute == "Name":
                return bus["Name"]
            if attribute == "Arn":
                return bus["Arn"]
        elif kind == "AWS::KMS::Key" and attribute in ("Arn", "KeyId"):
            kms: KMSClient = self._client("kms")
            meta = kms.describe_key(KeyId=physical)["KeyMetadata"]
            return meta["Arn"] if attribute == "Arn" else meta["KeyId"]
        raise LocalStackError(f"cannot resolve {logical_id}.{attribute} ({kind}) locally")


def _local_function(
    logical_id: str,
    template: Mapping[str, Any],
    translated: Mapping[str, Any],
    resolver: _Resolver,
) -> LocalFunction:
    props = translated["Resources"][logical_id]["Properties"]
    variables = props.get("Environment", {}).get("Variables", {})
    environment = {k: str(v) for k, v in resolver.resolve(variables).items()}

    sqs_sources: list[SqsEventSource] = []
    for resource in translated["Resources"].values():
        mapping = resource.get("Properties", {})
        if resource["Type"] != "AWS::Lambda::EventSourceMapping":
            continue
        if mapping.get("FunctionName") != {"Ref": logical_id}:
            continue
        source = mapping["EventSourceArn"]
        queue_id = source["Fn::GetAtt"][0] if isinstance(source, dict) else None
        if queue_id is None or translated["Resources"][queue_id]["Type"] != "AWS::SQS::Queue":
            continue
        sqs_sources.append(
            SqsEventSource(
                queue_logical_id=queue_id,
                queue_url=str(resolver.resolve({"Ref": queue_id})),
                queue_arn=str(resolver.resolve({"Fn::GetAtt": [queue_id, "Arn"]})),
                # Lambda's own defaults when the template leaves them out.
                batch_size=int(mapping.get("BatchSize", 10)),
                report_batch_item_failures="ReportBatchItemFailures"
                in mapping.get("FunctionResponseTypes", []),
                maximum_batching_window_seconds=int(
                    mapping.get("MaximumBatchingWindowInSeconds", 0)
                ),
            )
        )

    # Routes and schedules come from the SAM events: the translated forms (an OpenAPI body,
    # a rule targeting the function) say the same thing less directly.
    routes: list[HttpRoute] = []
    schedules: list[str] = []
    sam_events = template["Resources"][logical_id].get("Properties", {}).get("Events", {})
    for event in sam_events.values():
        event_props = event.get("Properties", {})
        if event["Type"] == "HttpApi":
            routes.append(
                HttpRoute(method=str(event_props["Method"]).upper(), path=event_props["Path"])
            )
        elif event["Type"] in ("Schedule", "ScheduleV2"):
            expression = event_props.get("Schedule") or event_props.get("ScheduleExpression")
            schedules.append(str(resolver.resolve(expression)))

    return LocalFunction(
        logical_id=logical_id,
        handler=props["Handler"],
        environment=environment,
        timeout_seconds=int(props.get("Timeout", 3)),
        sqs_sources=tuple(sqs_sources),
        http_routes=tuple(routes),
        schedules=tuple(schedules),
    )
