#!/usr/bin/env python3
"""The deployment plan's migration step: `linecal migrate default-calendars`, all flags passed on.

    scripts/migrate-existing-users.py --check --stack-name linecal-prod
    scripts/migrate-existing-users.py --backup backups/prod --stack-name linecal-prod
    scripts/migrate-existing-users.py --limit 5 --stack-name linecal-prod
    scripts/migrate-existing-users.py --stack-name linecal-prod
    scripts/migrate-existing-users.py --verify --stack-name linecal-prod

The steps are described in docs/operations.md ("Migrating existing users").
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linecal.cli import app  # noqa: E402

if __name__ == "__main__":
    app(["migrate", "default-calendars", *sys.argv[1:]], prog_name="migrate-existing-users.py")
