#!/usr/bin/env bash
# Installs what the checks need and runs every one of them: lint, types, template, tests.
# Extra arguments go to pytest, e.g. `scripts/check.sh tests/unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh dev
bin=.venv/bin

echo "== ruff"
"$bin/ruff" check shared services linecal tests bench scripts
echo "== mypy --strict (shared, services)"
"$bin/mypy" --strict shared services
echo "== mypy (linecal)"
"$bin/mypy" linecal
echo "== cfn-lint"
"$bin/cfn-lint" infra/template.yaml
echo "== pytest"
"$bin/python" -m pytest -q -p no:cacheprovider "$@"
