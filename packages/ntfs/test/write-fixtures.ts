/**
 * Test volumes for the NTFS write side, built with the real tools (mkntfs +
 * ntfs-3g FUSE, PEERS.md recipe) into the ignored cache `test-images/cache/ntfs-write/`,
 * keyed by a hash of the build script; and the oracles run against them
 * (fls, ntfsls, ntfsfix -n, a read-only ntfs-3g mount hashing every file).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { privateTmp, publishOnce } from '@coldfix/test-support';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const cache = join(repo, 'test-images/cache/ntfs-write');

/** Mounts `img` with ntfs-3g (foreground process in the background), runs `body` (bash, $M = mount point), unmounts and waits. */
export function mountScript(img: string, body: string, options = 'permissions'): string {
  return `
set -euo pipefail
M=$(mktemp -d)
ntfs-3g -o ${options},no_detach "${img}" "$M" 2>/dev/null & P=$!
for i in $(seq 150); do mountpoint -q "$M" && break; sleep 0.1; done
mountpoint -q "$M"
set +e
# setfattr without the attr package (python3's os.setxattr, as test-images does): -n NAME -v VALUE|0xHEX FILE
setfattr() {
  python3 -c 'import sys, os
a = sys.argv[1:]; name = a[a.index("-n") + 1]; v = a[a.index("-v") + 1]
os.setxattr(a[-1], name, bytes.fromhex(v[2:]) if v.startswith("0x") else v.encode())' "$@"
}
( set -e; cd "$M"; ${body} )
RC=$?
set -e
umount "$M"; while kill -0 $P 2>/dev/null; do sleep 0.05; done
rmdir "$M"
exit $RC
`;
}

function bash(script: string, input?: string): string {
  try {
    return execFileSync('bash', ['-c', script], { encoding: 'utf8', maxBuffer: 256 << 20, input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const x = e as { stderr?: string; status?: number };
    throw new Error(`bash failed (${x.status}): ${String(x.stderr ?? '').slice(-2000)}\n${script.slice(0, 300)}`);
  }
}

/** The populated tree: every case the delete must handle. */
export const TREE = String.raw`
echo hello > a.txt; echo second > root2.txt
mkdir small; echo one > small/only.txt; echo two > small/two.txt
mkdir leaf; for i in $(seq -w 1 200); do echo "leaf $i" > "leaf/file $i.txt"; done
mkdir big; for i in $(seq -w 1 ${'$'}{BIG:-4000}); do echo "$i" > "big/a fairly long file name to fill index blocks $i.dat"; done
head -c 300000 /dev/urandom > frag1.bin; head -c 20000 /dev/urandom > spacer1.bin
for k in $(seq 1 12); do head -c 65536 /dev/urandom >> frag.bin; head -c 65536 /dev/urandom >> spacer2.bin; sync; done
mkdir comp; setfattr -n system.ntfs_attrib_be -v 0x00000810 comp
for i in $(seq 1 16000); do echo 'compressible line of text'; done > comp/c.txt
truncate -s 8M sparse.bin; printf 'middle' | dd of=sparse.bin bs=1 seek=4194304 conv=notrunc status=none
echo base > ads.txt; setfattr -n user.stream1 -v hello-stream ads.txt; setfattr -n user.big -v "0x$(head -c 20000 /dev/urandom | xxd -p | tr -d '\n')" ads.txt
echo linked > small/link1.txt; ln small/link1.txt leaf/link2.txt; ln small/link1.txt link3.txt
echo dos > "Long Name For Dos.txt"; setfattr -n system.ntfs_dos_name -v "LONGNA~1.TXT" "Long Name For Dos.txt"
echo many > alist.txt; for i in $(seq 1 40); do setfattr -n "user.s$i" -v "value-$i-$(head -c 60 /dev/zero | tr '\0' x)" alist.txt; done
head -c 5000 /dev/urandom > keep1.bin; mkdir -p deep/a/b/c; echo deep > deep/a/b/c/d.txt
`;

/** Builds (or reuses) a volume: `clusterSize` bytes per cluster, `sectorSize` bytes per sector (mkntfs -s), `size` MiB, the TREE script. Returns its cached path. */
export function buildVolume(name: string, o: { clusterSize?: number; sectorSize?: number; sizeMiB?: number; big?: number; tree?: string } = {}): string {
  const cluster = o.clusterSize ?? 4096;
  const sector = o.sectorSize ?? 512;
  const size = o.sizeMiB ?? 64;
  const tree = o.tree ?? TREE;
  // 512-byte sectors keep the key they always had (volumes already cached stay valid).
  const key = createHash('sha256').update(JSON.stringify(sector === 512 ? [cluster, size, o.big ?? 4000, tree, 2] : [cluster, size, o.big ?? 4000, tree, 2, sector])).digest('hex').slice(0, 12);
  mkdirSync(cache, { recursive: true });
  const out = join(cache, `${name}-${key}.img`);
  if (existsSync(out)) return out;
  // Built under a private name; the first build published wins and `out` never changes afterwards, so
  // every test file using this volume sees the same bytes (test-support/publish.ts).
  const tmp = privateTmp(out);
  try {
    bash(`truncate -s ${size}M "${tmp}" && mkntfs -F -Q -q -T -s ${sector} -c ${cluster} -L wtest "${tmp}" >/dev/null 2>&1`);
    bash(`export BIG=${o.big ?? 4000}; ` + mountScript(tmp, tree));
    return publishOnce(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** A private sparse copy of a cached volume in a temp folder. */
export function copyVolume(src: string): { path: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'coldfix-write-'));
  const path = join(dir, 'vol.img');
  bash(`cp --sparse=always "${src}" "${path}"`);
  return { path, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `fls -r -p` lines of allocated entries: "type inode\tpath". */
export function flsAllocated(img: string): string[] {
  return bash(`fls -r -p -u "${img}"`).split('\n').filter(Boolean);
}
/** Paths `fls -r -p -d` shows as deleted. */
export function flsDeleted(img: string): string[] {
  return bash(`fls -r -p -d "${img}"`).split('\n').filter(Boolean).map((l) => l.split('\t')[1]);
}
/** `fls -r -p -l` lines (with times and sizes) of allocated entries. */
export function flsLong(img: string): string[] {
  return bash(`fls -r -p -l -u "${img}"`).split('\n').filter(Boolean);
}
/** Every path `ntfsls -R` prints under `/` (relative, with "/" separators). */
export function ntfslsAll(img: string): string[] {
  const text = bash(`ntfsls -R -p / "${img}"`);
  const out: string[] = [];
  let dir = '';
  for (const line of text.split('\n')) {
    if (!line) continue;
    const m = /^(\/.*):$/.exec(line);
    if (m) { dir = m[1] === '/' ? '' : m[1].slice(1); continue; }
    if (line === '.' || line === '..') continue;
    out.push(dir ? `${dir}/${line}` : line);
  }
  return out.sort();
}
/** ntfsfix -n: exit status and output. */
export function ntfsfixDry(img: string): { ok: boolean; output: string } {
  const r = spawnSync('ntfsfix', ['-n', img], { encoding: 'utf8' });
  const output = `${r.stdout}${r.stderr}`;
  return { ok: r.status === 0 && !/FAILED|corrupt|error/i.test(output), output };
}
/** sha256 of every regular file's content, through a read-only ntfs-3g mount. */
export function hashAll(img: string): Map<string, string> {
  const text = bash(mountScript(img, `find . -type f -print0 | sort -z | xargs -0 -r sha256sum`, 'ro'));
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{64}) {2}\.\/(.*)$/.exec(line);
    if (m) map.set(m[2], m[1]);
  }
  return map;
}
/** Runs bash `body` inside a read-write ntfs-3g mount of `img` and returns its stdout. */
export function withMount(img: string, body: string): string {
  return bash(mountScript(img, body, 'rw'));
}

export { copyFileSync };
