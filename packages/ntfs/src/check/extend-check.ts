/**
 * $Extend\$ObjId:$O and $Extend\$Reparse:$R against the records they name:
 * every entry must point at a record in use, with the same sequence number
 * ($R keys carry the full file reference), that still has the attribute the
 * entry stands for. Read-only.
 *
 *   $R key: reparse tag (4) | file reference (8)
 *   $O entry data (at the entry's data offset): file reference (8) | birth volume id | birth object id | domain id
 */
import { viewOf } from '@coldfix/io';
import { decodeFileReference } from '../codec/file-reference.js';
import { DirIndex } from '../write/dir-index.js';
import type { IndexNode } from '../write/index-node.js';
import { resolvePath } from '../write/resolve-path.js';
import type { WriteTxn } from '../write/txn.js';
import type { RecordSummary } from './mft-scan.js';
import type { CheckFinding } from './types.js';

async function entriesOf(txn: WriteTxn, record: number, indexName: string): Promise<Uint8Array[]> {
  const index = await DirIndex.open(txn, record, indexName);
  const out: Uint8Array[] = [];
  const seen = new Set<number>();
  const visit = async (n: IndexNode, depth: number): Promise<void> => {
    for (const e of n.entries) {
      if (e.child !== null && !seen.has(e.child) && depth < 32) {
        seen.add(e.child);
        await visit(await index.readBlock(e.child), depth + 1);
      }
      if (!e.end) out.push(e.body);
    }
  };
  await visit(index.editor.root, 0);
  return out;
}

/** Checks both indexes when present; `attrs` says which records have $OBJECT_ID / $REPARSE_POINT. */
export async function checkExtendIndexes(
  txn: WriteTxn, upcase: Uint16Array, records: Map<number, RecordSummary>, attrs: { objectId: Set<number>; reparse: Set<number> }, add: (f: CheckFinding) => void,
): Promise<void> {
  const open = async (path: string): Promise<number | null> => {
    try {
      return (await resolvePath(txn, path, upcase)).record;
    } catch (e) {
      if ((e as { kind?: string }).kind === 'not-found') return null;
      throw e;
    }
  };
  const reparse = await open('/$Extend/$Reparse');
  if (reparse !== null) {
    for (const body of await entriesOf(txn, reparse, '$R').catch(() => [])) {
      if (body.length < 28) continue;
      const { recordNumber: record, sequence } = decodeFileReference(body, 20);
      const target = records.get(record);
      if (!target || target.sequence !== sequence || !attrs.reparse.has(record)) {
        add({ code: 'REPARSE_INDEX_STALE', message: `$Reparse:$R entry names record ${record} (sequence ${sequence}), which is ${target ? 'not that file or has no reparse point' : 'not in use'}`, records: [reparse, record] });
      }
    }
  }
  const objid = await open('/$Extend/$ObjId');
  if (objid !== null) {
    for (const body of await entriesOf(txn, objid, '$O').catch(() => [])) {
      const v = viewOf(body);
      const dataOffset = v.getUint16(0, true);
      if (dataOffset + 8 > body.length) continue;
      const { recordNumber: record, sequence } = decodeFileReference(body, dataOffset);
      const target = records.get(record);
      if (!target || target.sequence !== sequence || !attrs.objectId.has(record)) {
        add({ code: 'OBJID_INDEX_STALE', message: `$ObjId:$O entry names record ${record}, which is ${target ? 'not that file or has no object id' : 'not in use'}`, records: [objid, record] });
      }
    }
  }
}
