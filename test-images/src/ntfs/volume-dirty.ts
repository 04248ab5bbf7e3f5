/**
 * Sets the "dirty" bit (0x0001) of $VOLUME_INFORMATION in MFT record 3 ($Volume) and in its
 * $MFTMirr copy, as Windows leaves a volume that was not shut down cleanly. There is no tool for
 * this in ntfs-3g (ntfsfix only clears it), so the generator patches the two records in place;
 * `ntfsinfo -m` is the oracle that confirms it.
 * Layout: boot sector fields at 0x0B (bytes per sector), 0x0D (sectors per cluster), 0x30/0x38
 * ($MFT / $MFTMirr LCN), FILE record header and attribute headers; $VOLUME_INFORMATION flags at
 * value offset 0x0A (libfsntfs "NTFS" format documentation, "The volume information attribute").
 */
import { open } from 'node:fs/promises';

const RECORD_SIZE = 1024;

/**
 * Sets the dirty flag in both copies of record 3 of the bare volume file `volumePath`.
 * @throws Error when the record or attribute cannot be found.
 */
export async function setVolumeDirty(volumePath: string): Promise<void> {
  const fh = await open(volumePath, 'r+');
  try {
    const boot = Buffer.alloc(512);
    await fh.read(boot, 0, 512, 0);
    if (boot.toString('latin1', 3, 11) !== 'NTFS    ') throw new Error(`${volumePath}: not NTFS`);
    const cluster = boot.readUInt16LE(0x0b) * boot[0x0d]!;
    for (const lcnField of [0x30, 0x38]) {
      const recordOffset = Number(boot.readBigUInt64LE(lcnField)) * cluster + 3 * RECORD_SIZE;
      const rec = Buffer.alloc(RECORD_SIZE);
      await fh.read(rec, 0, RECORD_SIZE, recordOffset);
      if (rec.toString('latin1', 0, 4) !== 'FILE') throw new Error(`no FILE record 3 at ${recordOffset}`);
      let off = rec.readUInt16LE(0x14);
      let flagsAt = -1;
      for (let guard = 0; guard < 32 && off + 16 <= RECORD_SIZE; guard++) {
        const type = rec.readUInt32LE(off);
        if (type === 0xffffffff) break;
        const len = rec.readUInt32LE(off + 4);
        if (len < 16) break;
        if (type === 0x70 && rec[off + 8] === 0) {
          flagsAt = off + rec.readUInt16LE(off + 0x14) + 0x0a;
          break;
        }
        off += len;
      }
      if (flagsAt < 0) throw new Error('no $VOLUME_INFORMATION in record 3');
      // The update sequence array replaces each sector's last two bytes: the flags must not sit there.
      if (flagsAt % 512 >= 510) throw new Error('volume flags straddle a fixup position');
      const v = Buffer.alloc(2);
      v.writeUInt16LE(rec.readUInt16LE(flagsAt) | 0x0001, 0);
      await fh.write(v, 0, 2, recordOffset + flagsAt);
    }
  } finally {
    await fh.close();
  }
}
