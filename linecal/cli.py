"""`linecal`: run the bot locally, talk to it, and operate it."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from linecal.chat import BotMessage, ChatError, ChatSession
from linecal.dlq_cli import dlq_app
from linecal.docs_cli import docs_app
from linecal.migrate_cli import migrate_app
from linecal.notify_cli import notify_app
from linecal.replay_cli import replay_app

app = typer.Typer(help="linecal: Google Calendar on LINE.", no_args_is_help=True)
local_app = typer.Typer(help="The whole system on this machine.", no_args_is_help=True)
app.add_typer(local_app, name="local")
app.add_typer(docs_app, name="docs")
app.add_typer(notify_app, name="notify")
app.add_typer(migrate_app, name="migrate")
app.add_typer(replay_app, name="replay")
app.add_typer(dlq_app, name="dlq")

console = Console()
DEFAULT_URL = "http://127.0.0.1:8080"

UrlOption = Annotated[
    str, typer.Option("--url", envvar="LINECAL_URL", help="A running local stack.")
]


@local_app.command("up")
def local_up(
    port: Annotated[int, typer.Option(help="HTTP port (0 picks a free one).")] = 8080,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    google_data: Annotated[
        Path | None,
        typer.Option(help="Google sandbox accounts, in Google's own JSON shapes."),
    ] = None,
    reply_token_ttl: Annotated[
        float, typer.Option(help="Seconds a sandbox reply token stays valid.")
    ] = 60.0,
    schedules: Annotated[bool, typer.Option(help="Run scheduled functions.")] = True,
) -> None:
    """Start the emulator, the template's resources, the functions and the sandboxes."""
    from linecal.local.embedded import EmbeddedStack, EmbeddedStackOptions

    stack = EmbeddedStack(
        EmbeddedStackOptions(
            host=host,
            port=port,
            google_data=google_data,
            reply_token_ttl_seconds=reply_token_ttl,
            run_schedules=schedules,
        )
    )
    try:
        stack.start()
    except (OSError, ValueError) as exc:
        # A busy port, an unreadable or malformed --google-data file: say which, briefly.
        stack.stop()
        console.print(f"[red]linecal local up could not start: {escape(str(exc))}[/]")
        raise typer.Exit(2) from None
    base = stack.base_url
    console.print(f"[bold green]linecal local stack is up[/] at {base}")
    console.print(f"  LINE webhook      POST {base}/line/webhook")
    console.print(f"  OAuth callback    GET  {base}/oauth/google/callback")
    console.print(f"  LINE sandbox           {base}/sandbox/line/")
    console.print(f"  Google sandbox         {base}/sandbox/google/")
    console.print(f"  stack description GET  {base}/sandbox/stack")
    console.print(f"  AWS emulator           {stack.endpoint_url}")
    console.print(
        f"Try, in another terminal: .venv/bin/linecal chat --url {base} --user Uexample help",
        soft_wrap=True,
    )
    console.print("Ctrl-C stops the stack.")

    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    try:
        while not stopped.wait(0.5):
            pass
    finally:
        console.print("stopping…")
        stack.stop()
        console.print("stopped.")


def _print_messages(messages: list[BotMessage]) -> None:
    if not messages:
        console.print("[yellow](no answer)[/]")
    for message in messages:
        # soft_wrap: a long link (the Google consent URL) stays one piece to copy or click.
        console.print(
            f"[bold cyan]bot[/] ({message.via}): {escape(message.text)}",
            highlight=False,
            soft_wrap=True,
        )
        for number, choice in enumerate(message.choices, start=1):
            console.print(f"    [{number}] {choice.get('label', '')}", markup=False)


def _choice_to_send(previous: list[BotMessage], number: int) -> dict[str, str] | None:
    choices = [c for m in previous for c in m.choices]
    if 1 <= number <= len(choices):
        return choices[number - 1]
    return None


@app.command()
def chat(
    user: Annotated[str, typer.Option("--user", help="The LINE user id to talk as.")],
    text: Annotated[str | None, typer.Argument(help="What to say; omit to chat.")] = None,
    url: UrlOption = DEFAULT_URL,
    wait: Annotated[float, typer.Option(help="Seconds to wait for an answer.")] = 15.0,
) -> None:
    """Send TEXT to the bot as USER (signed as LINE signs it) and print its answers."""
    from linecal.local.embedded import local_setting

    try:
        session = ChatSession(url, user, local_setting("LINE_CHANNEL_SECRET"))
        if text is not None:
            _print_messages(session.send_text(text, wait))
            return

        console.print("Type a message; a number picks a quick-reply button; Ctrl-D quits.")
        last: list[BotMessage] = []
        while True:
            try:
                line = console.input("[bold]you[/]: ")
            except EOFError:
                return
            choice = _choice_to_send(last, int(line)) if line.strip().isdigit() else None
            if choice and choice.get("type") == "postback":
                last = session.send_postback(choice.get("data", ""), wait)
            else:
                last = session.send_text(choice.get("text", line) if choice else line, wait)
            _print_messages(last)
    except ChatError as exc:
        console.print(f"[red]{exc}[/]. Is `linecal local up` running? (--url / LINECAL_URL)")
        raise typer.Exit(2) from None


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
