/**
 * The $Extend indexes a file can appear in besides its directories, cleaned
 * on delete as ntfs-3g's ntfs_delete does (ntfs_delete_object_id_index,
 * ntfs_delete_reparse_index; read, not copied):
 *  - $Extend\$ObjId:$O, key = the 16-byte object id (first 16 bytes of $OBJECT_ID);
 *  - $Extend\$Reparse:$R, key = reparse tag (4) + file reference (8).
 * Both use COLLATION_NTOFS_ULONGS.
 */
import { CorruptError, viewOf } from '@coldfix/io';
import { compareUlongs } from './collation.js';
import { DirIndex } from './dir-index.js';
import { AttrType, residentValue } from '../record/record-bytes.js';
import type { Extent } from '../record/record-store.js';
import { resolvePath } from './resolve-path.js';
import type { WriteTxn } from './txn.js';

const LAYER = 'ntfs-write';

async function removeKey(txn: WriteTxn, path: string, indexName: string, key: Uint8Array, what: string): Promise<boolean> {
  let record: number;
  try {
    record = (await resolvePath(txn, path, await txn.vol.upcase())).record;
  } catch (e) {
    if ((e as { kind?: string }).kind === 'not-found') return false;
    throw e;
  }
  const run = async (preferPredecessor: boolean): Promise<boolean> => {
    const index = await DirIndex.open(txn, record, indexName);
    const found = await index.editor.find((k) => compareUlongs(key, k), (e) => compareUlongs(key, e.key) === 0 && e.key.length === key.length);
    if (!found) return false;
    await index.editor.remove(found, preferPredecessor);
    await index.flush();
    return true;
  };
  try {
    const done = await run(false);
    if (!done) txn.changes.push({ what: `${what} not found in ${path}:${indexName}`, offset: -1, length: 0 });
    return done;
  } catch (e) {
    if ((e as { code?: string }).code !== 'NTFS_INDEX_SPLIT_NEEDED') throw e;
    return run(true);
  }
}

/** Removes the file's $ObjId and $Reparse entries; returns which were removed. */
export async function removeExtendEntries(txn: WriteTxn, record: number, sequence: number, extents: Extent[]): Promise<string[]> {
  const removed: string[] = [];
  const oid = extents.find((x) => x.attr.type === AttrType.objectId);
  if (oid) {
    if (oid.attr.nonResident || oid.attr.valueLength < 16) throw new CorruptError(`record ${record}: $OBJECT_ID is not a resident 16+ byte value`, { code: 'NTFS_OBJECT_ID_BAD', layer: LAYER });
    const key = residentValue(oid.rec, oid.attr).slice(0, 16);
    if (await removeKey(txn, '/$Extend/$ObjId', '$O', key, 'object id')) removed.push('$ObjId:$O');
  }
  const rp = extents.find((x) => x.attr.type === AttrType.reparsePoint);
  if (rp) {
    const tag = rp.attr.nonResident ? null : viewOf(residentValue(rp.rec, rp.attr)).getUint32(0, true);
    if (tag === null) throw new CorruptError(`record ${record}: non-resident $REPARSE_POINT is not supported`, { code: 'NTFS_REPARSE_NONRESIDENT', layer: LAYER });
    const key = new Uint8Array(12);
    const v = viewOf(key);
    v.setUint32(0, tag, true);
    v.setBigUint64(4, BigInt(record) | (BigInt(sequence) << 48n), true);
    if (await removeKey(txn, '/$Extend/$Reparse', '$R', key, 'reparse point')) removed.push('$Reparse:$R');
  }
  return removed;
}
