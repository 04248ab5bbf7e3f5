/** A result line for an image that never ran: its keys could not be read, or its worker thread died. Not final. */
import { hostname } from 'node:os';
import { isColdfixError } from '@coldfix/io';
import type { PlannedEntry } from './plan.js';
import type { ResultLine } from './types.js';

export function keyError(item: PlannedEntry, error: Error): ResultLine {
  const serialised = isColdfixError(error) ? error.toJSON() : { kind: 'internal' as const, name: error.name, message: error.message };
  return {
    key: item.key,
    image: item.entry.image,
    action: item.entry.action,
    result: 'error',
    final: false,
    error: serialised,
    bytesRead: 0,
    seconds: 0,
    worker: `${hostname()}:${process.pid}`,
    finishedAt: new Date().toISOString(),
  };
}
