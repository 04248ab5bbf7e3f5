/**
 * $UpCase collation (COLLATION_FILE_NAME): names compare code unit by code unit
 * after mapping each UTF-16 unit through the volume's own 65536-entry $UpCase
 * table (never String.toUpperCase: Windows versions ship different tables).
 * Equal upcased names then order by length, then by raw units (ntfs-3g
 * ntfs_names_full_collate; libfsntfs "Name collation").
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class UpcaseTable {
  constructor(readonly table: Uint16Array) {}

  /**
   * Builds from the raw $UpCase:$DATA bytes (little-endian u16). Short tables map the rest to
   * themselves. On a little-endian host the units are one block copy: the 65536-step loop cost ~3 ms
   * a call cold (not yet optimised), and a repair decodes the table several times.
   */
  static fromBytes(bytes: Uint8Array): UpcaseTable {
    const table = new Uint16Array(65536);
    const units = Math.min(65536, Math.floor(bytes.length / 2));
    if (LITTLE_ENDIAN) table.set(new Uint16Array(bytes.slice(0, units * 2).buffer, 0, units));
    else for (let i = 0; i < units; i++) table[i] = bytes[i * 2] | (bytes[i * 2 + 1] << 8);
    for (let i = units; i < 65536; i++) table[i] = i;
    return new UpcaseTable(table);
  }

  upcase(name: string): string {
    let out = '';
    for (let i = 0; i < name.length; i++) out += String.fromCharCode(this.table[name.charCodeAt(i)]);
    return out;
  }

  /** Case-insensitive comparison (<0, 0, >0), then length; this is the $I30 key order. */
  compareIgnoreCase(a: string, b: string): number {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const d = this.table[a.charCodeAt(i)] - this.table[b.charCodeAt(i)];
      if (d !== 0) return d;
    }
    return a.length - b.length;
  }

  /** Full collation: case-insensitive first, raw units as the tie-break. */
  collate(a: string, b: string): number {
    const c = this.compareIgnoreCase(a, b);
    if (c !== 0) return c;
    return a < b ? -1 : a > b ? 1 : 0;
  }

  equalIgnoreCase(a: string, b: string): boolean {
    return a.length === b.length && this.compareIgnoreCase(a, b) === 0;
  }
}
