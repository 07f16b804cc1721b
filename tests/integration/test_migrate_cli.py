"""`linecal migrate` as an operator types it, against the local stack."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from linecal.cli import app
from linecal.local.embedded import EmbeddedStack

runner = CliRunner()


def linecal(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_check_reports_counts_and_changes_nothing(local_stack: EmbeddedStack) -> None:
    result = linecal("migrate", "default-calendars", "--check", "--url", local_stack.base_url)

    assert result.exit_code == 0, result.output
    assert "acting on the local stack" in result.output
    assert "nothing changed" in result.output


def test_a_dry_run_publishes_nothing_and_writes_no_checkpoint(
    local_stack: EmbeddedStack, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "checkpoint.json"

    result = linecal(
        "migrate",
        "default-calendars",
        "--dry-run",
        "--checkpoint",
        str(checkpoint),
        "--url",
        local_stack.base_url,
    )

    assert result.exit_code == 0, result.output
    assert "would publish" in result.output
    assert not checkpoint.exists()


def test_backup_then_a_dry_run_restore_of_it(local_stack: EmbeddedStack, tmp_path: Path) -> None:
    backup = linecal(
        "migrate", "default-calendars", "--backup", str(tmp_path), "--url", local_stack.base_url
    )
    restore = linecal(
        "migrate", "restore", str(tmp_path), "--dry-run", "--url", local_stack.base_url
    )

    assert backup.exit_code == 0, backup.output
    assert "on-demand backup created" in backup.output
    assert {p.name for p in tmp_path.iterdir()} == {
        "manifest.json",
        "OAuthTokensTable.jsonl",
        "UserCalendarsTable.jsonl",
    }
    assert restore.exit_code == 0, restore.output
    assert "would restore" in restore.output


def test_two_steps_at_once_are_refused(local_stack: EmbeddedStack) -> None:
    result = linecal(
        "migrate", "default-calendars", "--check", "--verify", "--url", local_stack.base_url
    )

    assert result.exit_code == 2
