/**
 * Path → MFT record through the $I30 trees, for the write side (it needs the
 * index position of each name anyway). Windows rules: `/` or `\` separators,
 * an optional drive letter, names compared through $UpCase, an exact-case
 * match preferred when names differ only in case.
 */
import { NotFoundError } from '@coldfix/io';
import { compareNamesIgnoreCase, keyName, sameUnits, toUnits } from './collation.js';
import { DirIndex } from './dir-index.js';
import { decodeRecordHeader } from '../record/record-bytes.js';
import { FileRecordFlag } from '../layout/file-record-header.js';
import type { WriteTxn } from './txn.js';

export const ROOT_RECORD = 5;

export function splitPath(path: string): string[] {
  return path.replace(/^[A-Za-z]:/, '').split(/[\\/]+/).filter((c) => c !== '' && c !== '.');
}

/** Resolves `path`; returns the record and sequence of the last component, its parent directory record, and the name and namespace of the index entry that matched. */
export async function resolvePath(txn: WriteTxn, path: string, upcase: Uint16Array): Promise<{ record: number; sequence: number; parent: number; name: string; namespace: number }> {
  const parts = splitPath(path);
  let dir = ROOT_RECORD;
  let record = ROOT_RECORD;
  let sequence = ROOT_RECORD;
  let parent = ROOT_RECORD;
  let name = '';
  let namespace = 0;
  for (let i = 0; i < parts.length; i++) {
    const target = toUnits(parts[i]);
    if (i > 0 && !(decodeRecordHeader(await txn.record(dir), dir).flags & FileRecordFlag.directory)) {
      throw new NotFoundError(`${parts.slice(0, i).join('/')} is not a directory`, { code: 'NTFS_PATH_NOT_FOUND', layer: 'ntfs-write', details: { path } });
    }
    const index = await DirIndex.open(txn, dir);
    const cmp = (key: Uint8Array): number => compareNamesIgnoreCase(target, keyName(key), upcase);
    const found =
      (await index.editor.find(cmp, (e) => sameUnits(keyName(e.key), target))) ??
      (await index.editor.find(cmp, () => true));
    if (!found) {
      throw new NotFoundError(`${parts.slice(0, i + 1).join('/')}: no such file or directory`, { code: 'NTFS_PATH_NOT_FOUND', layer: 'ntfs-write', details: { path } });
    }
    const e = found[found.length - 1].node.entries[found[found.length - 1].pos];
    parent = dir;
    record = Number(e.fileRef & 0xffffffffffffn);
    sequence = Number(e.fileRef >> 48n);
    name = String.fromCharCode(...keyName(e.key));
    namespace = e.key[0x41];
    dir = record;
  }
  return { record, sequence, parent, name, namespace };
}
