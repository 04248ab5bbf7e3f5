/**
 * Reparse data for `system.ntfs_reparse_data` (ntfs-3g), as Windows stores it in $REPARSE_POINT:
 * MS-FSCC 2.1.2.5 (mount point / junction, tag 0xA0000003): tag, data length, reserved, then
 * substitute-name offset/length and print-name offset/length (bytes, UTF-16LE, each name followed by
 * a NUL in the path buffer).
 */

/** IO_REPARSE_TAG_MOUNT_POINT (MS-FSCC 2.1.2.1). */
export const IO_REPARSE_TAG_MOUNT_POINT = 0xa0000003;

/** Reparse buffer of a junction to `target` (a Win32 path such as `C:\Users`). */
export function encodeJunction(target: string): Uint8Array {
  const sub = Buffer.from(`\\??\\${target}`, 'utf16le');
  const print = Buffer.from(target, 'utf16le');
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(sub.length, 2);
  head.writeUInt16LE(sub.length + 2, 4);
  head.writeUInt16LE(print.length, 6);
  const data = Buffer.concat([head, sub, Buffer.alloc(2), print, Buffer.alloc(2)]);
  const out = Buffer.alloc(8);
  out.writeUInt32LE(IO_REPARSE_TAG_MOUNT_POINT, 0);
  out.writeUInt16LE(data.length, 4);
  return new Uint8Array(Buffer.concat([out, data]));
}
