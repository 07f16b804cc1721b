"""Finding the stack an operator command acts on: a running local stack, or one on AWS.

A local stack answers `GET <url>/sandbox/stack` with its emulator endpoint and resource
names. Without one, commands use AWS (or `AWS_ENDPOINT_URL`) and read the deployed
stack's resources from CloudFormation, so the same command works unchanged on both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Annotated, Any

import boto3
import requests
import typer

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_STACK_NAME = "linecal-dev"

UrlOption = Annotated[
    str,
    typer.Option("--url", envvar="LINECAL_URL", help="A running local stack (linecal local up)."),
]
StackNameOption = Annotated[
    str,
    typer.Option(
        "--stack-name", envvar="LINECAL_STACK", help="The deployed CloudFormation stack on AWS."
    ),
]


class TargetNotFound(RuntimeError):
    """Neither a local stack nor a deployed stack could be found."""


@dataclass(frozen=True)
class StackTarget:
    """Where a command acts, and the physical names of the template's resources there."""

    description: str
    region: str
    resources: dict[str, str]
    endpoint_url: str | None = None
    base_url: str | None = None
    functions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_local(self) -> bool:
        return self.base_url is not None

    def resource(self, logical_id: str) -> str:
        try:
            return self.resources[logical_id]
        except KeyError:
            raise TargetNotFound(f"{self.description} has no resource {logical_id}") from None

    def client(self, service: str) -> Any:
        """A boto3 client for this target (the emulator's endpoint for a local stack)."""
        if self.endpoint_url is None:
            return boto3.client(service, region_name=self.region)  # type: ignore[call-overload]
        return boto3.client(  # type: ignore[call-overload]
            service,
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        )

    def dead_letter_queues(self) -> dict[str, str]:
        """DLQ logical id -> queue URL."""
        return {k: v for k, v in self.resources.items() if k.endswith("DLQ")}

    def source_queue_of(self, dlq_logical_id: str) -> str:
        """The queue whose redrive policy sends to this DLQ (CommandDLQ -> CommandQueue)."""
        return self.resource(dlq_logical_id.removesuffix("DLQ") + "Queue")


def local_target(url: str) -> StackTarget | None:
    """The local stack at `url`, or None when nothing answers there."""
    try:
        answer = requests.get(f"{url.rstrip('/')}/sandbox/stack", timeout=3)
    except requests.RequestException:
        return None
    if answer.status_code != 200:
        return None

    described = answer.json()
    stack = described["stack"]
    return StackTarget(
        description=f"local stack at {url}",
        region=stack["region"],
        resources=dict(stack["resources"]),
        endpoint_url=stack["endpoint_url"],
        base_url=described.get("baseUrl", url),
        functions=list(stack.get("functions", [])),
    )


def aws_target(stack_name: str, region: str | None = None) -> StackTarget:
    """The deployed stack's resources, read from CloudFormation."""
    resources: dict[str, str] = {}
    try:
        session = boto3.session.Session(region_name=region)
        cfn = session.client("cloudformation")
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name):
            for summary in page["StackResourceSummaries"]:
                resources[summary["LogicalResourceId"]] = summary.get("PhysicalResourceId", "")
    except Exception as exc:  # botocore raises many kinds; all mean "not reachable here"
        raise TargetNotFound(f"stack {stack_name} not found: {type(exc).__name__}") from None
    return StackTarget(
        description=f"stack {stack_name} on AWS",
        region=session.region_name or "us-east-1",
        resources=resources,
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
    )


def find_target(url: str = DEFAULT_URL, stack_name: str = DEFAULT_STACK_NAME) -> StackTarget:
    """A local stack at `url` if one answers, else the deployed stack `stack_name`."""
    return local_target(url) or aws_target(stack_name)


def target_or_exit(url: str, stack_name: str, console: Any) -> StackTarget:
    """The stack a CLI command acts on, named on the console; exit code 2 when none is found."""
    try:
        target = find_target(url, stack_name)
    except TargetNotFound as exc:
        console.print(f"[red]{exc}[/]. Is `linecal local up` running? (--url / --stack-name)")
        raise typer.Exit(2) from None
    console.print(f"acting on the {target.description}")
    return target
