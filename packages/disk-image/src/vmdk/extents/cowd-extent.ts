/**
 * vmfsSparse (COWD) extents: ESX snapshot deltas on VMFS5 and older.
 * 32-bit grain directory and grain tables of 4096 entries; 0 = not in this
 * delta (the parent's bytes). Read-only.
 *
 * References: VMware "Virtual Disk Format 5.0" (ESX Server sparse extents);
 * libyal libvmdk format §5; qemu block/vmdk.c (vmdk_open_vmdk3).
 */
import type { ByteSource, JsonValue } from '@coldfix/io';
import { COWD_GT_ENTRIES, COWD_MAGIC, CowdHeaderStruct, type CowdHeader } from '../layout/cowd-header.js';
import { hex, VMDK_LIMITS, vmdkCorrupt, vmdkLimit } from '../vmdk-errors.js';
import { GrainExtent, type GrainRef } from './extent.js';

export class CowdExtent extends GrainExtent {
  readonly kind = 'VMFSSPARSE';
  private constructor(
    path: string,
    file: ByteSource,
    size: number,
    readonly header: CowdHeader,
    readonly gd: Uint32Array,
  ) {
    super(path, file, size, header.grainSize * 512);
  }

  static async open(path: string, file: ByteSource, size?: number): Promise<CowdExtent> {
    if (file.size < 512) throw vmdkCorrupt('VMDK_TRUNCATED', `${path}: ${file.size} bytes is too short for a COWD header`, 0, { path });
    const h = CowdHeaderStruct.decode(await file.read(0, CowdHeaderStruct.size));
    if (h.magicNumber !== COWD_MAGIC) throw vmdkCorrupt('VMDK_BAD_MAGIC', `${path}: COWD magic ${hex(h.magicNumber)} at 0x0`, 0, { path });
    const grain = h.grainSize;
    if (grain < 1 || (grain & (grain - 1)) !== 0 || grain * 512 > VMDK_LIMITS.grainBytes) {
      throw vmdkCorrupt('VMDK_BAD_GRAIN_SIZE', `${path}: COWD grainSize ${grain} sectors at 0x10 is not a power of two up to ${VMDK_LIMITS.grainBytes / 512}`, 0x10, { path });
    }
    const capacity = h.numSectors * 512;
    const needed = Math.ceil(h.numSectors / (grain * COWD_GT_ENTRIES));
    if (h.numGDEntries < needed) {
      throw vmdkCorrupt('VMDK_BAD_GD_SIZE', `${path}: COWD numGDEntries ${h.numGDEntries} at 0x18 is too small for ${h.numSectors} sectors (need ${needed})`, 0x18, { path });
    }
    const bytes = needed * 4;
    const gdOffset = h.gdOffset * 512;
    if (bytes > VMDK_LIMITS.grainDirectoryBytes) throw vmdkLimit('VMDK_GD_TOO_LARGE', `${path}: grain directory of ${bytes} bytes exceeds ${VMDK_LIMITS.grainDirectoryBytes}`, gdOffset, { path });
    if (gdOffset < 512 || gdOffset + bytes > file.size) {
      throw vmdkCorrupt('VMDK_GD_OUTSIDE_FILE', `${path}: COWD grain directory [${hex(gdOffset)}, +${bytes}) is outside the ${file.size}-byte file`, gdOffset, { path });
    }
    const raw = await file.read(gdOffset, bytes);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const gd = new Uint32Array(needed);
    for (let i = 0; i < needed; i++) gd[i] = view.getUint32(i * 4, true);
    const extent = new CowdExtent(path, file, size ?? capacity, h, gd);
    if ((size ?? capacity) > capacity) extent.anomalies.push(`${path}: descriptor gives ${size} bytes, the COWD extent has ${capacity}: the rest reads as zeros`);
    return extent;
  }

  protected async lookup(index: number): Promise<GrainRef> {
    const gtIndex = Math.floor(index / COWD_GT_ENTRIES);
    if (gtIndex >= this.gd.length) return { kind: 'zero' };
    const gtSector = this.gd[gtIndex];
    if (gtSector === 0) return { kind: 'parent' };
    const table = await this.tables.get(gtIndex, () => this.readTable(`COWD grain table ${gtIndex}`, gtSector * 512, COWD_GT_ENTRIES * 4));
    const at = (index % COWD_GT_ENTRIES) * 4;
    const gte = (table[at] | (table[at + 1] << 8) | (table[at + 2] << 16) | (table[at + 3] << 24)) >>> 0;
    return gte === 0 ? { kind: 'parent' } : { kind: 'data', fileOffset: gte * 512 };
  }

  describe(): Record<string, JsonValue> {
    return { kind: this.kind, path: this.path, size: this.size, grainSize: this.grainBytes, gdEntries: this.gd.length, version: this.header.version };
  }
}
