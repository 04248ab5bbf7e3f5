/**
 * Extended attributes through ntfs-3g's FUSE mount. Node has no xattr API, so a batch of
 * `setxattr(2)` calls runs in one python3 process (python3 is on every machine of this project's kind;
 * `os.setxattr` is a thin wrapper of the syscall). Values travel base64-encoded on stdin.
 */
import { run } from '../util/run.js';

/** One setxattr call. */
export interface XattrOp {
  path: string;
  name: string;
  value: Uint8Array;
}

const SCRIPT = `
import sys, os, json, base64
ops = json.load(sys.stdin)
for op in ops:
    try:
        os.setxattr(op[0], op[1], base64.b64decode(op[2]))
    except OSError as e:
        sys.stderr.write("setxattr %s on %s: %s\\n" % (op[1], op[0], e))
        sys.exit(3)
`;

/**
 * Applies `ops` in order, stopping at the first failure.
 * @throws ToolError naming the path and attribute that failed.
 */
export async function applyXattrs(ops: readonly XattrOp[]): Promise<void> {
  if (ops.length === 0) return;
  const payload = JSON.stringify(ops.map((o) => [o.path, o.name, Buffer.from(o.value).toString('base64')]));
  await run('python3', ['-c', SCRIPT], { input: payload });
}

const GET_SCRIPT = `
import sys, os, base64
try:
    sys.stdout.write(base64.b64encode(os.getxattr(sys.argv[1], sys.argv[2])).decode())
except OSError as e:
    sys.stderr.write(str(e)); sys.exit(3)
`;

/** Reads one extended attribute. @throws ToolError when absent. */
export async function getXattr(path: string, name: string): Promise<Uint8Array> {
  const r = await run('python3', ['-c', GET_SCRIPT, path, name]);
  return new Uint8Array(Buffer.from(r.stdout, 'base64'));
}

/** NTFS file attribute flags (MS-FSCC 2.6) used with `system.ntfs_attrib_be`. */
export const FileAttribute = {
  readOnly: 0x1,
  hidden: 0x2,
  system: 0x4,
  archive: 0x20,
  sparse: 0x200,
  compressed: 0x800,
  notContentIndexed: 0x2000,
} as const;

/** Big-endian 32-bit value for `system.ntfs_attrib_be`. */
export function encodeAttrib(flags: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(flags >>> 0, 0);
  return new Uint8Array(b);
}
