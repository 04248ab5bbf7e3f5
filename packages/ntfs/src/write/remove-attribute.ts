/**
 * Taking one attribute record out of a file, as ntfs-3g's ntfs_attr_record_rm does (attrib.c; read,
 * not copied): the record's later attributes move down over it and its bytes-in-use shrink; when
 * the file has an $ATTRIBUTE_LIST, the list entry naming it goes too (a resident list shrinks in
 * its record; a non-resident one is rewritten in its clusters with a smaller data size, its
 * allocation kept); an extension record left with no attribute is freed (in-use flag cleared,
 * sequence number advanced, bit cleared in $MFT:$BITMAP), as ntfs_extent_mft_record_free does.
 *
 *   record: | header | attr A | attr B (removed) | attr C | END |  ->  | header | attr A | attr C | END |
 */
import { CorruptError, viewOf } from '@coldfix/io';
import { decodeAttributeList } from '../layout/attribute-list-entry.js';
import { AttrType, attributeRuns, freeRecordInPlace, listAttributes, residentValue } from '../record/record-bytes.js';
import type { BitmapEditor, WriteTxn } from './txn.js';

const LAYER = 'ntfs-write';

/** Removes the attribute record at byte `offset` of record `n`'s working copy. */
function spliceAttribute(rec: Uint8Array, offset: number, length: number): void {
  const v = viewOf(rec);
  const inUse = v.getUint32(0x18, true);
  rec.copyWithin(offset, offset + length, inUse);
  rec.fill(0, inUse - length, inUse);
  v.setUint32(0x18, inUse - length, true);
}

/** Resizes the resident value of the attribute at `attrOffset` to `value` (same or shorter, 8-aligned change). */
function shrinkResident(rec: Uint8Array, attrOffset: number, value: Uint8Array): void {
  const v = viewOf(rec);
  const length = v.getUint32(attrOffset + 4, true);
  const valueOffset = v.getUint16(attrOffset + 0x14, true);
  const newLength = (valueOffset + value.length + 7) & ~7;
  const delta = length - newLength;
  rec.set(value, attrOffset + valueOffset);
  rec.fill(0, attrOffset + valueOffset + value.length, attrOffset + newLength);
  v.setUint32(attrOffset + 0x10, value.length, true);
  if (delta > 0) {
    const inUse = v.getUint32(0x18, true);
    rec.copyWithin(attrOffset + newLength, attrOffset + length, inUse);
    rec.fill(0, inUse - delta, inUse);
    v.setUint32(0x18, inUse - delta, true);
    v.setUint32(attrOffset + 4, newLength, true);
  }
}

/**
 * Removes from file `base` the attribute records `targets` (each: the record holding it and its
 * attribute id), their attribute list entries, and extension records left empty.
 * @returns the extension records freed.
 */
export async function removeAttributes(txn: WriteTxn, base: number, targets: { record: number; instance: number; type: number }[], mftBitmap: BitmapEditor): Promise<number[]> {
  const touched = new Set<number>();
  for (const t of targets) {
    const rec = await txn.record(t.record);
    const attr = listAttributes(rec, t.record).find((a) => a.type === t.type && a.instance === t.instance);
    if (!attr) throw new CorruptError(`record ${t.record} has no attribute 0x${t.type.toString(16)} id ${t.instance}`, { code: 'NTFS_ATTRIBUTE_NOT_FOUND', layer: LAYER, details: { record: t.record } });
    spliceAttribute(rec, attr.offset, attr.length);
    txn.touchRecord(t.record);
    touched.add(t.record);
  }
  const baseRec = await txn.record(base);
  const list = listAttributes(baseRec, base).find((a) => a.type === AttrType.attributeList);
  const freed: number[] = [];
  if (list) {
    const bytes = !list.nonResident ? residentValue(baseRec, list).slice() : txn.attributeLists.get(base) ?? (await txn.vol.readStream(attributeRuns(baseRec, list), 0, list.dataSize));
    const keep: Uint8Array[] = [];
    for (const e of decodeAttributeList(bytes)) {
      const gone = targets.some((t) => t.record === e.recordNumber && t.instance === e.attributeId && t.type === e.type);
      if (!gone) keep.push(bytes.subarray(e.offset, e.offset + e.length));
    }
    const value = new Uint8Array(keep.reduce((s, k) => s + k.length, 0));
    let at = 0;
    for (const k of keep) { value.set(k, at); at += k.length; }
    if (!list.nonResident) shrinkResident(baseRec, list.offset, value);
    else {
      // Rewritten in place: the list's clusters stay allocated (allocated size unchanged), its sizes shrink.
      const padded = new Uint8Array(list.dataSize);
      padded.set(value);
      txn.attributeLists.set(base, value);
      let off = 0;
      for (const p of txn.vol.streamPieces(attributeRuns(baseRec, list), 0, padded.length)) {
        if (p.device >= 0) txn.extraWrites.push({ what: `$ATTRIBUTE_LIST of record ${base}`, device: p.device, data: padded.subarray(off, off + p.length) });
        off += p.length;
      }
      const v = viewOf(baseRec);
      v.setBigUint64(list.offset + 0x30, BigInt(value.length), true);
      v.setBigUint64(list.offset + 0x38, BigInt(value.length), true);
    }
    txn.touchRecord(base);
  }
  // Extension records left without attributes go, as ntfs-3g frees them.
  for (const n of touched) {
    if (n === base) continue;
    const rec = await txn.record(n);
    if (listAttributes(rec, n).length === 0) {
      freeRecordInPlace(rec);
      txn.touchRecord(n);
      await mftBitmap.clear(n, 1);
      freed.push(n);
    }
  }
  return freed;
}
