#!/usr/bin/env bash
# The README's test command: set up, then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# install-deps built the native key stretch and the CLI bundle: the suite fails if the addon does not load
# (rather than silently using WebAssembly) or the launcher does not run the bundle with its code cache.
COLDFIX_EXPECT_NATIVE=1 COLDFIX_EXPECT_BUNDLE=1 npm test
