#!/usr/bin/env bash
# Builds coldfix's one optional native addon, the BitLocker key stretch
# (packages/bitlocker/native/stretch.c: ~0.1 s an unlock instead of ~0.5 s in
# WebAssembly; see packages/bitlocker/README.md). It needs a C compiler and
# Node's own headers (node_api.h, openssl/sha.h), and links against nothing:
# the SHA-256 symbols come from the Node.js binary at load time. Nothing is
# downloaded. Without a compiler or headers it says so and coldfix uses its
# WebAssembly stretch (same results).
set -euo pipefail
cd "$(dirname "$0")/.."
src=packages/bitlocker/native/stretch.c
out=packages/bitlocker/native/build/coldfix_stretch.node
[ -f "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$(command -v node)" ] && exit 0
headers=
for dir in "$(npm config get nodedir 2>/dev/null)/include/node" \
           "$(dirname "$(dirname "$(node -p process.execPath)")")/include/node" \
           "$HOME/.cache/node-gyp/$(node -p process.versions.node)/include/node"; do
  if [ -f "$dir/node_api.h" ] && [ -f "$dir/openssl/sha.h" ]; then headers=$dir; break; fi
done
if [ -z "$headers" ] || ! command -v cc >/dev/null; then
  echo "coldfix: no C compiler or Node headers: the BitLocker key stretch will use WebAssembly (slower unlocks)" >&2
  exit 0
fi
mkdir -p "$(dirname "$out")"
tmp=${out%.node}.tmp.node
cc -O2 -shared -fPIC -Wall -Werror -I"$headers" -o "$tmp" "$src"
# It must load into this Node and give the stretch of a known input before it replaces anything.
node -e '
  const m = require(process.argv[1]);
  const r = Buffer.from(m.stretch(new Uint8Array(32), new Uint8Array(16), 1)).toString("hex");
  const b = Buffer.alloc(88); require("crypto").createHash("sha256").update(b).digest().copy(b, 0);
  if (r !== b.subarray(0, 32).toString("hex")) { console.error("native stretch self-test failed"); process.exit(1); }
' "$PWD/$tmp"
mv "$tmp" "$out"
