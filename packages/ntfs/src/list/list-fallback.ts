/**
 * The listing over walk() for volumes whose record table would exceed
 * Limits.maxListRecords: each batch gets its own small RecordTable whose slot
 * i holds entry i (bounded memory; the speed of walk()).
 */
import type { WalkEntry } from '../types.js';
import { ListBatch, ListMark } from './list-volume.js';
import { RecordBit, RecordState, RecordTable } from './record-table.js';
import { storeFields } from './scan-mft.js';
import { namespaceCode } from '../layout/attribute-types.js';


export async function* fillFromWalk(walk: AsyncIterable<WalkEntry>, size: number): AsyncGenerator<ListBatch> {
  let table = new RecordTable(size);
  let batch = new ListBatch(table);
  for await (const e of walk) {
    const i = batch.length;
    const virtual = e.path === '/$OrphanFiles' && e.recordNumber >= 0 && e.sequence === 0 && !e.si && e.names.length === 0;
    storeFields(table, i, e, (!e.deleted || e.reallocated ? RecordBit.inUse : 0), true);
    table.state[i] = RecordState.ready;
    const mark = (e.deleted ? ListMark.deleted : 0) | (e.reallocated ? ListMark.reallocated : 0) | (e.orphan ? ListMark.orphan : 0) | (virtual ? ListMark.virtual : 0);
    // walk() paths are always `${directory path}/${name}`.
    batch.push(e.path.slice(0, e.path.length - e.name.length - 1), e.name, namespaceCode(e.namespace), e.recordNumber, virtual ? -1 : i, e.parentRecordNumber, mark);
    if (batch.length >= size) {
      yield batch;
      table = new RecordTable(size);
      batch = new ListBatch(table);
    }
  }
  if (batch.length) yield batch;
}
