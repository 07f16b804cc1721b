#!/usr/bin/env bash
# Installs linecal and starts the whole bot locally: `scripts/up.sh [--port 8080] ...`
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh local
exec .venv/bin/linecal local up "$@"
