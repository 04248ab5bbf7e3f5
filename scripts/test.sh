#!/usr/bin/env bash
# The README's test command: set up, then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# install-deps built the native key stretch: the suite fails if it does not load (rather than silently using WebAssembly).
COLDFIX_EXPECT_NATIVE=1 npm test
