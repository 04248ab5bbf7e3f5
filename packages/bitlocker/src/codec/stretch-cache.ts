/**
 * A small in-process memo of stretched keys. A repair opens the same volume
 * three times (plan, write, verify from scratch); without this each open pays
 * the 1,048,576-round stretch again (~0.6 s). The memo is keyed by a SHA-256 of
 * (initial hash ‖ salt), holds at most a few entries, lives only in this
 * process's memory and is never serialised or logged.
 */
import { createHash } from 'node:crypto';
import { stretchKey } from './stretch.js';

const maxEntries = 16;
const memo = new Map<string, Uint8Array>();

export function stretchKeyCached(initialHash: Uint8Array, salt: Uint8Array): Uint8Array {
  const id = createHash('sha256').update(initialHash).update(salt).digest('hex');
  const hit = memo.get(id);
  if (hit) return new Uint8Array(hit);
  const key = stretchKey(initialHash, salt);
  memo.set(id, new Uint8Array(key));
  if (memo.size > maxEntries) memo.delete(memo.keys().next().value as string);
  return key;
}
