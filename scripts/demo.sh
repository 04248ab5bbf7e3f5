#!/usr/bin/env bash
# The README's main job: set up, build the embedded sample once (cached: a GPT disk with EFI, MSR and a
# BitLocker XTS-128 Windows partition holding CrowdStrike channel files, as a dynamic VHD), then repair a
# fresh copy of it with its recovery password, taken from a keys file as an escrow export would give it,
# and print the report. Extra arguments go to `coldfix repair` (e.g. --json, --only-bad, --dry-run).
set -euo pipefail
cd "$(dirname "$0")/.."
# Standard output carries the repair's report only (`bash scripts/demo.sh --json | jq`): every other
# step (install, build, sample) writes to standard error; the repair gets the original stdout (fd 3).
exec 3>&1 1>&2
bash scripts/install-deps.sh
node test-images/dist/sample.js >/dev/null
work=.cache/demo
rm -rf "$work" && mkdir -p "$work"
# The sample's facts (image path, volume GUID, recovery password) come from the test-image catalog.
node --input-type=module -e '
  import { readFileSync, writeFileSync } from "node:fs";
  const catalog = JSON.parse(readFileSync("test-images/cache/catalog.json", "utf8"));
  const entry = catalog.entries["windows-sample-bitlocker-vhd"];
  const bl = entry.extra.bitlocker;
  writeFileSync(process.argv[1] + "/image-path", "test-images/cache/" + entry.image);
  // An escrow-style keys file: volume GUID -> recovery password (never printed).
  writeFileSync(process.argv[1] + "/keys.json", JSON.stringify({ [bl.volumeGuid]: bl.recoveryPassword }, null, 2), { mode: 0o600 });
' "$work"
cp --sparse=always "$(cat "$work/image-path")" "$work/sample.vhd"
# Written back before the repair: otherwise the repair's own fsync pays for the copy's dirty pages, and the
# time the report prints is mostly the copy's (as bench/src/repair-bench.ts found; the total is the same).
sync "$work/sample.vhd"
echo "coldfix: repairing $work/sample.vhd (keys from $work/keys.json)" >&2
set +e
node cli/bin/coldfix.js repair "$work/sample.vhd" --keys "$work/keys.json" --quarantine-dir "$work/quarantine" "$@" >&3
status=$?
set -e
echo "coldfix: exit code $status; undo with: npx coldfix rollback $work/sample.vhd" >&2
exit $status
