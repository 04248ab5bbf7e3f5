/**
 * A minimal VHDX writer for tests: makes dynamic or differencing (.avhdx)
 * files, since no Linux tool creates a differencing VHDX (qemu can neither
 * create nor open one). Every structure is encoded here from MS-VHDX directly,
 * apart from coldfix's reader, so the reader is tested against an
 * independent writer; libvhdi (vhdimount/vhdiinfo) proves the files.
 *
 *   0     64K    128K   192K   256K        1M     2M        3M
 *   |ident|head 1|head 2|regi 1|regi 2| … |log 1M|metadata 1M|BAT (n MiB)|blocks (1 MiB aligned)…
 *
 * Written sectors land in payload blocks: a block written whole is FULLY_PRESENT;
 * in a differencing file a block written in part is PARTIALLY_PRESENT with its
 * chunk's sector bitmap block (1 MiB) marking the sectors present; in a dynamic
 * file the rest of a touched block is zero.
 *
 * References: MS-VHDX v8.0 (2024) §2.2–§2.6.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync, ftruncateSync } from 'node:fs';
import { crc32c, formatGuid, parseGuid } from '@coldfix/io';

const KIB = 1024;
const MIB = 1024 * 1024;
const G = {
  bat: '2dc27766-f623-4200-9d64-115e9bfd4a08',
  metadata: '8b7ca206-4790-4b9a-b8fe-575f050f886e',
  fileParameters: 'caa16737-fa36-4d43-b3b6-33f0aa44e76b',
  virtualDiskSize: '2fa54224-cd1b-4876-b211-5dbed83bf4b8',
  virtualDiskId: 'beca12ab-b2e6-4523-93ef-c309e000c746',
  logicalSectorSize: '8141bf1d-a96f-4709-ba47-f233a8faab5f',
  physicalSectorSize: 'cda348c7-445d-4471-9cc9-e9885251c556',
  parentLocator: 'a8d35f2d-b30b-454d-abf7-d3d84834ab0c',
  vhdxLocatorType: 'b04aefb7-d19e-4a81-b789-25b8e9445913',
};

export interface VhdxParentSpec {
  /** The parent's header DataWriteGuid (see `readVhdxDataWriteGuid`). */
  dataWriteGuid: string;
  /** Locator paths as Windows would store them; omitted keys are not written. */
  relativePath?: string;
  absoluteWin32Path?: string;
  volumePath?: string;
}

export interface WriteVhdxOptions {
  virtualSize: number;
  /** Default 2 MiB. */
  blockSize?: number;
  /** Default 512. */
  logicalSectorSize?: 512 | 4096;
  /** Default 4096. */
  physicalSectorSize?: 512 | 4096;
  parent?: VhdxParentSpec;
  /** Logical-sector-aligned writes, applied in order. */
  writes: Array<[offset: number, data: Uint8Array]>;
  dataWriteGuid?: string;
  virtualDiskId?: string;
}

/** Writes a VHDX (dynamic, or differencing when `parent` is given) to `path`; returns its DataWriteGuid. */
export function writeVhdx(path: string, options: WriteVhdxOptions): { dataWriteGuid: string } {
  const blockSize = options.blockSize ?? 2 * MIB;
  const lss = options.logicalSectorSize ?? 512;
  const { virtualSize, parent } = options;
  const chunkRatio = (2 ** 23 * lss) / blockSize;
  const payloadBlocks = Math.ceil(virtualSize / blockSize);
  const bitmapBlocks = Math.ceil(payloadBlocks / chunkRatio);
  const batEntries = parent ? bitmapBlocks * (chunkRatio + 1) : payloadBlocks + Math.floor((payloadBlocks - 1) / chunkRatio);
  const batLength = Math.ceil((batEntries * 8) / MIB) * MIB;
  const dataWriteGuid = options.dataWriteGuid ?? randomUUID();

  // Gather the written sectors per block.
  const blocks = new Map<number, { data: Uint8Array; present: Uint8Array }>();
  for (const [offset, data] of options.writes) {
    if (offset % lss || data.length % lss || offset + data.length > virtualSize) throw new Error(`write [${offset}, +${data.length}) not sector-aligned or past the disk`);
    for (let pos = offset; pos < offset + data.length; ) {
      const b = Math.floor(pos / blockSize);
      const end = Math.min(offset + data.length, (b + 1) * blockSize);
      let block = blocks.get(b);
      if (!block) blocks.set(b, (block = { data: new Uint8Array(blockSize), present: new Uint8Array(blockSize / lss) }));
      block.data.set(data.subarray(pos - offset, end - offset), pos - b * blockSize);
      block.present.fill(1, (pos - b * blockSize) / lss, (end - b * blockSize) / lss);
      pos = end;
    }
  }

  const fd = openSync(path, 'w');
  try {
    const put = (bytes: Uint8Array, at: number) => writeSync(fd, bytes, 0, bytes.length, at);
    // File type identifier.
    const ident = new Uint8Array(64 * KIB);
    ident.set(Buffer.from('vhdxfile', 'ascii'));
    ident.set(Buffer.from('coldfix test-images avhdx-writer', 'utf16le'), 8);
    put(ident, 0);
    // Headers (sequence 1 and 2: the second is current; both describe the same file).
    for (const [i, seq] of [[0, 1n], [1, 2n]] as const) {
      const h = new Uint8Array(4 * KIB);
      const v = new DataView(h.buffer);
      h.set(Buffer.from('head', 'ascii'));
      v.setBigUint64(8, seq, true);
      h.set(parseGuid(randomUUID()), 16); // FileWriteGuid
      h.set(parseGuid(dataWriteGuid), 32);
      // LogGuid zero: empty log.
      v.setUint16(64, 0, true);
      v.setUint16(66, 1, true);
      v.setUint32(68, MIB, true);
      v.setBigUint64(72, BigInt(MIB), true);
      v.setUint32(4, crc32c(h), true);
      put(h, (64 + i * 64) * KIB);
    }
    // Region tables.
    const rt = new Uint8Array(64 * KIB);
    const rv = new DataView(rt.buffer);
    rt.set(Buffer.from('regi', 'ascii'));
    rv.setUint32(8, 2, true);
    for (const [i, guid, offset, length] of [[0, G.bat, 3 * MIB, batLength], [1, G.metadata, 2 * MIB, MIB]] as const) {
      rt.set(parseGuid(guid), 16 + i * 32);
      rv.setBigUint64(16 + i * 32 + 16, BigInt(offset), true);
      rv.setUint32(16 + i * 32 + 24, length, true);
      rv.setUint32(16 + i * 32 + 28, 1, true);
    }
    rv.setUint32(4, crc32c(rt), true);
    put(rt, 192 * KIB);
    put(rt, 256 * KIB);
    // Metadata region.
    put(encodeMetadata({ blockSize, virtualSize, lss, pss: options.physicalSectorSize ?? 4096, parent, virtualDiskId: options.virtualDiskId ?? randomUUID() }), 2 * MIB);
    // Blocks, after the BAT, in block order; sector bitmaps after the payload blocks.
    const bat = new Uint8Array(batLength);
    const bv = new DataView(bat.buffer);
    const setEntry = (index: number, state: number, fileOffset: number) => {
      const mb = fileOffset / MIB;
      bv.setUint32(index * 8, ((mb % 4096) * 0x100000 + state) >>> 0, true);
      bv.setUint32(index * 8 + 4, Math.floor(mb / 4096), true);
    };
    let next = 3 * MIB + batLength;
    const bitmaps = new Map<number, Uint8Array>();
    for (const b of [...blocks.keys()].sort((x, y) => x - y)) {
      const block = blocks.get(b)!;
      const full = block.present.every((p) => p === 1);
      const state = parent && !full ? 7 : 6;
      put(block.data, next);
      setEntry(b + Math.floor(b / chunkRatio), state, next);
      next += blockSize;
      if (parent) {
        const chunk = Math.floor(b / chunkRatio);
        let bitmap = bitmaps.get(chunk);
        if (!bitmap) bitmaps.set(chunk, (bitmap = new Uint8Array(MIB)));
        const first = (b % chunkRatio) * (blockSize / lss);
        block.present.forEach((p, s) => {
          if (p) bitmap![(first + s) >> 3] |= 1 << ((first + s) & 7);
        });
      }
    }
    for (const [chunk, bitmap] of bitmaps) {
      put(bitmap, next);
      setEntry(chunk * (chunkRatio + 1) + chunkRatio, 6, next);
      next += MIB;
    }
    put(bat, 3 * MIB);
    ftruncateSync(fd, next);
  } finally {
    closeSync(fd);
  }
  return { dataWriteGuid };
}

function encodeMetadata(m: { blockSize: number; virtualSize: number; lss: number; pss: number; parent?: VhdxParentSpec; virtualDiskId: string }): Uint8Array {
  const region = new Uint8Array(MIB);
  const rv = new DataView(region.buffer);
  region.set(Buffer.from('metadata', 'ascii'));
  const items: Array<[guid: string, bytes: Uint8Array, flags: number]> = [];
  const u32 = (a: number, b?: number) => {
    const x = new Uint8Array(b === undefined ? 4 : 8);
    const v = new DataView(x.buffer);
    v.setUint32(0, a, true);
    if (b !== undefined) v.setUint32(4, b, true);
    return x;
  };
  const size = new Uint8Array(8);
  new DataView(size.buffer).setBigUint64(0, BigInt(m.virtualSize), true);
  // Flags: bit 1 IsVirtualDisk, bit 2 IsRequired.
  items.push([G.fileParameters, u32(m.blockSize, m.parent ? 2 : 0), 4]);
  items.push([G.virtualDiskSize, size, 6]);
  items.push([G.virtualDiskId, parseGuid(m.virtualDiskId), 6]);
  items.push([G.logicalSectorSize, u32(m.lss), 6]);
  items.push([G.physicalSectorSize, u32(m.pss), 6]);
  if (m.parent) items.push([G.parentLocator, encodeParentLocator(m.parent), 4]);
  rv.setUint16(10, items.length, true);
  let at = 64 * KIB;
  items.forEach(([guid, bytes, flags], i) => {
    const e = 32 + i * 32;
    region.set(parseGuid(guid), e);
    rv.setUint32(e + 16, at, true);
    rv.setUint32(e + 20, bytes.length, true);
    rv.setUint32(e + 24, flags, true);
    region.set(bytes, at);
    at += Math.ceil(bytes.length / 8) * 8;
  });
  return region;
}

function encodeParentLocator(p: VhdxParentSpec): Uint8Array {
  const pairs: Array<[string, string]> = [['parent_linkage', `{${p.dataWriteGuid.toLowerCase()}}`]];
  if (p.relativePath) pairs.push(['relative_path', p.relativePath]);
  if (p.volumePath) pairs.push(['volume_path', p.volumePath]);
  if (p.absoluteWin32Path) pairs.push(['absolute_win32_path', p.absoluteWin32Path]);
  const strings = pairs.flatMap(([k, v]) => [Buffer.from(k, 'utf16le'), Buffer.from(v, 'utf16le')]);
  const tableEnd = 20 + pairs.length * 12;
  const out = new Uint8Array(tableEnd + strings.reduce((n, s) => n + s.length, 0));
  const v = new DataView(out.buffer);
  out.set(parseGuid(G.vhdxLocatorType));
  v.setUint16(18, pairs.length, true);
  let at = tableEnd;
  pairs.forEach((_, i) => {
    const [key, value] = [strings[i * 2], strings[i * 2 + 1]];
    v.setUint32(20 + i * 12, at, true);
    out.set(key, at);
    at += key.length;
    v.setUint32(20 + i * 12 + 4, at, true);
    out.set(value, at);
    at += value.length;
    v.setUint16(20 + i * 12 + 8, key.length, true);
    v.setUint16(20 + i * 12 + 10, value.length, true);
  });
  return out;
}

/** The DataWriteGuid of the current header of a VHDX file (higher sequence number of the two signed "head"). */
export function readVhdxDataWriteGuid(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let best: { seq: bigint; guid: string } | undefined;
    for (const offset of [64 * KIB, 128 * KIB]) {
      const h = Buffer.alloc(4 * KIB);
      readSync(fd, h, 0, h.length, offset);
      const stored = h.readUInt32LE(4);
      h.writeUInt32LE(0, 4);
      if (h.toString('ascii', 0, 4) !== 'head' || crc32c(h) !== stored) continue;
      const seq = h.readBigUInt64LE(8);
      if (!best || seq > best.seq) best = { seq, guid: formatGuid(h.subarray(32, 48)) };
    }
    if (!best) throw new Error(`${path}: no valid VHDX header`);
    return best.guid;
  } finally {
    closeSync(fd);
  }
}
