"""What is shipped to Lambda is what the project declares."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_lambda_requirements_are_the_projects_runtime_dependencies() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = (REPO / "requirements.txt").read_text().splitlines()
    shipped = [line.strip() for line in lines if line.strip() and not line.startswith("#")]

    assert sorted(shipped) == sorted(declared)
