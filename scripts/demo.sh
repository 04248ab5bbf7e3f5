#!/usr/bin/env bash
# The README's main job: set up, build the embedded sample disk once (cached), repair it, print the report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
node test-images/dist/sample.js "$@"
