"""The whole system on this machine: moto, the template's resources, the functions, the sandboxes.

`EmbeddedStack` is what `linecal local up` runs; tests start one the same way.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, make_server

from linecal.local.gateway import LocalGateway
from linecal.local.runtime import (
    FunctionInvoker,
    SqsEventSourcePoller,
    schedule_period_seconds,
    scheduled_event,
)
from linecal.local.sandbox_google import GoogleSandbox, default_data_path
from linecal.local.sandbox_line import LineSandbox
from linecal.local.stack import LocalStack, deploy_local_stack

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

log = logging.getLogger("linecal.local")

REGION = "us-east-1"

# Local-only credentials: they open nothing but this machine's sandboxes.
LOCAL_SECRETS = {
    "LINE_CHANNEL_SECRET": "linecal-local-channel-secret",
    "LINE_CHANNEL_ACCESS_TOKEN": "linecal-local-access-token",
    "GOOGLE_CLIENT_ID": "linecal-local.apps.googleusercontent.com",
    "GOOGLE_CLIENT_SECRET": "linecal-local-client-secret",
}


def local_setting(name: str) -> str:
    """A local credential: the environment's value if set, else the sandbox default."""
    return os.environ.get(name) or LOCAL_SECRETS[name]


@dataclass
class EmbeddedStackOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    google_data: Path | None = None
    reply_token_ttl_seconds: float = 60.0
    run_schedules: bool = True
    # How soon a record a function failed becomes visible again (Lambda: the visibility
    # timeout). Short locally so a poison message reaches its DLQ in seconds.
    retry_delay_seconds: int = 1
    extra_environment: dict[str, str] = field(default_factory=dict)


class EmbeddedStack:
    """Starts and stops everything `linecal local up` runs, in this process."""

    def __init__(self, options: EmbeddedStackOptions | None = None) -> None:
        self.options = options or EmbeddedStackOptions()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._moto: ThreadedMotoServer | None = None
        self._http: BaseWSGIServer | None = None
        self.stack: LocalStack | None = None
        self.line_sandbox: LineSandbox | None = None
        self.google_sandbox: GoogleSandbox | None = None
        self.invoker = FunctionInvoker()

    @property
    def base_url(self) -> str:
        assert self._http is not None, "stack not started"
        return f"http://{self.options.host}:{self._http.server_port}"

    @property
    def wsgi_app(self) -> LocalGateway:
        """The HTTP side of the stack, for in-process clients that need no socket."""
        return self._app

    @property
    def endpoint_url(self) -> str:
        assert self.stack is not None, "stack not started"
        return self.stack.endpoint_url

    def start(self) -> None:
        # One line per HTTP request, from moto and from our port, drowns what matters.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # The HTTP port is bound first: the functions' settings need the address.
        self._http = make_server(
            self.options.host, self.options.port, self._late_bound_app, threaded=True
        )
        endpoint = os.environ.get("AWS_ENDPOINT_URL") or self._start_moto()
        self._prepare_environment(endpoint)

        stack_name = "linecal-local" if self._moto else f"linecal-local-{self._http.server_port}"
        self.stack = deploy_local_stack(endpoint, stack_name=stack_name, region=REGION)
        self._apply_function_environment(self.stack)

        self.line_sandbox = LineSandbox(
            access_token=local_setting("LINE_CHANNEL_ACCESS_TOKEN"),
            reply_token_ttl_seconds=self.options.reply_token_ttl_seconds,
        )
        self.google_sandbox = self._google_sandbox()
        self._app = LocalGateway(
            self.invoker,
            self.stack.functions,
            {
                "/sandbox/line": self.line_sandbox.wsgi_app,
                "/sandbox/google": self.google_sandbox.wsgi_app,
            },
            self.describe(),
        )

        self._start_thread("http", self._http.serve_forever)
        self._start_pollers(self.stack)
        if self.options.run_schedules:
            self._start_schedules(self.stack)

    def stop(self) -> None:
        self._stop.set()
        if self._http is not None:
            # shutdown() waits for serve_forever to return: only call it once serving.
            if self._threads:
                self._http.shutdown()
            self._http.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._moto is not None:
            self._moto.stop()

    def describe(self) -> dict[str, Any]:
        """What `GET /sandbox/stack` answers: how tools reach this stack. No secrets."""
        assert self.stack is not None
        return {"baseUrl": self.base_url, "stack": self.stack.to_json()}

    def _late_bound_app(self, environ: Any, start_response: Any) -> Any:
        return self._app(environ, start_response)

    def _start_moto(self) -> str:
        from moto.server import ThreadedMotoServer

        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        return f"http://{host}:{port}"

    def _prepare_environment(self, endpoint: str) -> None:
        base = self.base_url
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
                "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
                "PUBLIC_BASE_URL": base,
                "LINE_API_BASE_URL": f"{base}/sandbox/line",
                "GOOGLE_API_BASE_URL": f"{base}/sandbox/google/",
                "GOOGLE_AUTH_URI": f"{base}/sandbox/google/o/oauth2/auth",
                "GOOGLE_TOKEN_URI": f"{base}/sandbox/google/token",
                "GOOGLE_REVOKE_URI": f"{base}/sandbox/google/revoke",
                # oauthlib refuses plain HTTP unless told; only ever set for the local stack.
                "OAUTHLIB_INSECURE_TRANSPORT": "1",
                "POWERTOOLS_METRICS_NAMESPACE": "linecal",
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        os.environ.update({name: local_setting(name) for name in LOCAL_SECRETS})

    def _apply_function_environment(self, stack: LocalStack) -> None:
        # Every function runs in this one process, so their variables are merged; the
        # template gives shared names the same values, and secrets are given directly.
        for function in stack.functions:
            for name, value in function.environment.items():
                if name.endswith("_PARAM") or name in LOCAL_SECRETS:
                    continue
                if name in {"PUBLIC_BASE_URL", "GOOGLE_CLIENT_ID"}:
                    continue
                os.environ[name] = value
        os.environ.pop("LINE_CHANNEL_SECRET_PARAM", None)
        os.environ.update(self.options.extra_environment)

    def _google_sandbox(self) -> GoogleSandbox:
        client_id = local_setting("GOOGLE_CLIENT_ID")
        client_secret = local_setting("GOOGLE_CLIENT_SECRET")
        return GoogleSandbox.from_file(
            self.options.google_data or default_data_path(),
            client_id=client_id,
            client_secret=client_secret,
        )

    def _start_thread(self, name: str, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=f"linecal-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _start_pollers(self, stack: LocalStack) -> None:
        for function in stack.functions:
            for source in function.sqs_sources:
                poller = SqsEventSourcePoller(
                    self.invoker,
                    function,
                    source,
                    region=REGION,
                    retry_delay_seconds=self.options.retry_delay_seconds,
                )
                self._start_thread(f"poll-{function.logical_id}", poller.run, self._stop)

    def _start_schedules(self, stack: LocalStack) -> None:
        for function in stack.functions:
            for expression in function.schedules:
                period = schedule_period_seconds(expression)
                if period is not None:
                    self._start_thread(
                        f"schedule-{function.logical_id}", self._run_schedule, function, period
                    )

    def _run_schedule(self, function: Any, period: float) -> None:
        while not self._stop.wait(period):
            try:
                self.invoker.invoke(function, scheduled_event(function.logical_id))
            except Exception:
                log.exception("%s failed on its schedule", function.logical_id)
