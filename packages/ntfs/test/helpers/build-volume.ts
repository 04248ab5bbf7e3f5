/**
 * Small NTFS volumes for the oracle tests, built with the real tools (mkntfs +
 * ntfs-3g FUSE), cached in the OS temp folder by a hash of the script. Used
 * until/besides the shared test-images catalog.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateTmp, publishOnce } from '@coldfix/test-support';

export const cacheRoot = join(tmpdir(), 'coldfix-ntfs-test');

const prologue = String.raw`
set -eu
IMG="$1"; SIZE="$2"; CLUSTER="$3"; WORK="$4"
rm -rf "$WORK"; mkdir -p "$WORK/mnt"
truncate -s "$SIZE" "$IMG"
mkntfs -F -Q -q -T -s 512 -c "$CLUSTER" -L Coldfix "$IMG" >/dev/null 2>&1
ntfs-3g -o permissions,no_detach "$IMG" "$WORK/mnt" >/dev/null 2>&1 &
PID=$!
trap 'cd /; umount "$WORK/mnt" 2>/dev/null || true; while kill -0 $PID 2>/dev/null; do sleep 0.05; done' EXIT
for i in $(seq 1 100); do mountpoint -q "$WORK/mnt" && break; sleep 0.05; done
cd "$WORK/mnt"
`;

const epilogue = String.raw`
cd /
`;

/** The "basic" volume: every feature the reader must handle. */
export const basicScript = String.raw`
mkdir -p a/b/c/d/e/f/g/h
echo hello > a/b/c/d/e/f/g/h/deep.txt
echo data > f.txt
setfattr -n user.ads1 -v "stream content" f.txt
setfattr -n user.second -v "$(head -c 3000 /dev/zero | tr '\0' 'x')" f.txt
setfattr -n user.dirads -v "dir stream" a
ln f.txt a/hardlink.txt
ln f.txt a/b/hardlink2.txt
: > empty.txt
mkdir comp
setfattr -n system.ntfs_attrib_be -v 0x00000810 comp
head -c 300000 /dev/urandom > comp/random.bin
yes hello | head -c 200000 > comp/text.txt
(head -c 70000 /dev/urandom; head -c 140000 /dev/zero; yes abc | head -c 50000) > comp/mixed.bin
dd if=/dev/urandom of=sparse.bin bs=4096 count=2 seek=100 status=none
truncate -s 3M sparse.bin
dd if=/dev/urandom of=comp/sparse-comp.bin bs=4096 count=3 seek=50 status=none
truncate -s 1M comp/sparse-comp.bin
echo x > "ÄÖÜ ünïcode 日本 ñ.txt"
echo "$(printf 'L%.0s' $(seq 1 200))" > "$(printf 'n%.0s' $(seq 1 240)).txt"
echo A > Case.txt
echo B > case.txt
mkdir Dir CaseDir
echo 1 > Dir/one.txt
echo gone > gone.txt
rm gone.txt
mkdir deldir; echo a > deldir/inner1.txt; echo b > deldir/inner2.txt; rm -rf deldir
mkdir big
for i in $(seq 1 700); do echo "$i" > "big/file_$i.txt"; done
for i in $(seq 1 700 | awk 'NR%7==0'); do rm "big/file_$i.txt"; done
ln -s f.txt symlink
setfattr -n system.ntfs_dos_name -v "SHORTN~1.TXT" "$(printf 'n%.0s' $(seq 1 240)).txt" || true
echo dosfile > "Long File Name With Spaces.txt"
setfattr -n system.ntfs_dos_name -v "LONGFI~1.TXT" "Long File Name With Spaces.txt"
for i in $(seq 1 60); do setfattr -n "user.s$i" -v "stream number $i" f.txt; done
# Fragmentation: fill the volume with 64 KiB files, free every other one, then
# write large files into the holes (many runs; runlists that overflow the
# record move to extension records through an attribute list), and create
# more files so the $MFT itself grows into holes.
python3 - <<'PY'
import os
os.makedirs('filler', exist_ok=True)
n = 0
try:
    while True:
        with open('filler/f%d' % n, 'wb') as f:
            f.write(os.urandom(65536))
        n += 1
except OSError:
    pass
for i in range(0, n, 2):
    os.remove('filler/f%d' % i)
st = os.statvfs('.')
free = st.f_bavail * st.f_frsize
def write(name, size):
    with open(name, 'wb') as f:
        f.write(os.urandom(size))
write('fragmented.bin', min(1500000, free // 8))
write('many-runs.bin', min(5 << 20, free // 3))
with open('comp/fragmented-comp.bin', 'wb') as f:
    for i in range(min(40, free // 200000)):
        f.write(os.urandom(20000) + bytes(30000))
os.makedirs('late', exist_ok=True)
for i in range(400):
    try:
        with open('late/l%d' % i, 'wb') as f:
            f.write(b'late %d' % i)
    except OSError:
        break
PY
`;

/** A directory with `count` entries (multi-level $I30 B+ tree). */
export function bigDirScript(count: number): string {
  return String.raw`
mkdir big
cd big
seq 1 ${count} | sed 's/^/entry_with_a_longish_name_/' | xargs touch
cd ..
`;
}

export interface BuiltVolume {
  path: string;
}

/**
 * Builds (or reuses) a volume by running `script` inside the mounted volume.
 * Needs root, FUSE, mkntfs, ntfs-3g, setfattr.
 */
export function buildVolume(name: string, script: string, size = '64M', cluster = 4096): BuiltVolume {
  const key = createHash('sha256').update(prologue + script + epilogue + size + cluster).digest('hex').slice(0, 12);
  mkdirSync(cacheRoot, { recursive: true });
  const path = join(cacheRoot, `${name}-${key}.img`);
  if (existsSync(path)) return { path };
  // Private names for this build (test files in parallel may build the same volume); the first build
  // published wins and the path's bytes never change afterwards (test-support/publish.ts).
  const tmp = privateTmp(path);
  const work = `${tmp}.work`;
  const scriptPath = `${tmp}.sh`;
  writeFileSync(scriptPath, prologue + script + epilogue);
  try {
    execFileSync('bash', [scriptPath, tmp, size, String(cluster), work], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
    publishOnce(tmp, path);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(scriptPath, { force: true });
    rmSync(tmp, { force: true });
  }
  return { path };
}
