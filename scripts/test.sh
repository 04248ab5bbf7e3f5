#!/usr/bin/env bash
# The README's test command: set up, then run the whole suite (docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The official run: every oracle is required. A missing oracle tool, a missing ../shared/fixtures/real,
# no loop device, test images that cannot be generated, or the native key-stretch addon not built FAILS
# the run here instead of being reported as skipped (test-support/oracle.ts). install-deps built the
# CLI bundle, so the launcher must run it with its code cache (COLDFIX_EXPECT_BUNDLE).
COLDFIX_REQUIRE_ORACLES=1 COLDFIX_EXPECT_BUNDLE=1 npm test
