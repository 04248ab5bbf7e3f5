/**
 * Reading (and overwriting in place) the bytes of a file's attribute at byte
 * level: resident values from the record, non-resident ones through their
 * joined runlist. Used by the gates ($LogFile, hiberfil.sys, $Volume) and the
 * checker. Compressed streams are not decoded here (none of these is compressed).
 */
import { NotFoundError } from '@coldfix/io';
import { attributeRuns, residentValue } from './record-bytes.js';
import type { Run } from '../codec/runlist.js';
import type { Extent, RecordStore } from './record-store.js';

export interface AttributeData {
  size: number;
  resident: Uint8Array | null;
  runs: Run[];
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Finds attribute `type` named `name` among `extents` (all extents joined by lowest VCN). @throws NotFoundError when absent. */
export function attributeData(vol: RecordStore, extents: Extent[], type: number, name = ''): AttributeData {
  const parts = extents.filter((x) => x.attr.type === type && x.attr.name === name).sort((a, b) => a.attr.lowestVcn - b.attr.lowestVcn);
  if (!parts.length) throw new NotFoundError(`attribute 0x${type.toString(16)}${name ? `:${name}` : ''} not found`, { code: 'NTFS_ATTRIBUTE_NOT_FOUND', layer: 'ntfs-write', details: { type, name } });
  const first = parts[0];
  if (!first.attr.nonResident) {
    const value = residentValue(first.rec, first.attr);
    return { size: value.length, resident: value, runs: [], read: async (o, l) => value.slice(o, Math.min(value.length, o + l)) };
  }
  const runs = parts.filter((x) => x.attr.nonResident).flatMap((x) => attributeRuns(x.rec, x.attr));
  const size = first.attr.dataSize;
  return {
    size, resident: null, runs,
    read: async (o, l) => {
      const len = Math.max(0, Math.min(l, size - o));
      return vol.readStream(runs, o, len);
    },
  };
}
