/**
 * The listing over walk() for volumes whose record table would exceed
 * Limits.maxListRecords: each batch gets its own small RecordTable whose slot
 * i holds entry i (bounded memory; the speed of walk()).
 */
import type { WalkEntry } from '../types.js';
import { ListBatch, ListMark } from './list-volume.js';
import { RecordBit, RecordState, RecordTable } from './record-table.js';

const lo = (t: bigint): number => Number(t & 0xffffffffn);
const hi = (t: bigint): number => Number((t >> 32n) & 0xffffffffn);
const namespaceCode = (name: string): number => (name === 'posix' ? 0 : name === 'win32' ? 1 : name === 'dos' ? 2 : 3);

export async function* fillFromWalk(walk: AsyncIterable<WalkEntry>, size: number): AsyncGenerator<ListBatch> {
  let table = new RecordTable(size);
  let batch = new ListBatch(table);
  for await (const e of walk) {
    const i = batch.length;
    const virtual = e.path === '/$OrphanFiles' && e.recordNumber >= 0 && e.sequence === 0 && !e.si && e.names.length === 0;
    let bits = 0;
    if (!e.deleted || e.reallocated) bits |= RecordBit.inUse;
    if (e.isDirectory) bits |= RecordBit.isDirectory;
    if (e.hasDefaultData) bits |= RecordBit.hasDefaultData;
    if (e.hasIndexRoot) bits |= RecordBit.hasIndexRoot;
    if (e.si) {
      bits |= RecordBit.hasSi;
      const times = [e.si.created, e.si.modified, e.si.mftModified, e.si.accessed];
      for (let k = 0; k < 4; k++) {
        table.si[i * 8 + k * 2] = lo(times[k]);
        table.si[i * 8 + k * 2 + 1] = hi(times[k]);
      }
    }
    const pool = table.names;
    table.nameStart[i] = pool.length;
    for (const fn of e.names) {
      const slot = pool.add(fn.name, namespaceCode(fn.namespace), fn.parentRecordNumber, fn.parentSequence, fn.dataSize);
      const times = [fn.created, fn.modified, fn.mftModified, fn.accessed];
      for (let k = 0; k < 4; k++) {
        pool.times[slot * 8 + k * 2] = lo(times[k]);
        pool.times[slot * 8 + k * 2 + 1] = hi(times[k]);
      }
    }
    table.nameCount[i] = pool.length - table.nameStart[i];
    table.bits[i] = bits | RecordBit.hasNames;
    table.type[i] = e.type === 'file' ? 0 : e.type === 'dir' ? 1 : e.type === 'link' ? 2 : 3;
    table.sequence[i] = e.sequence;
    table.size[i] = e.size;
    if (e.streams.length) table.streamMap.set(i, e.streams);
    if (e.reparse) table.reparseMap.set(i, e.reparse);
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
