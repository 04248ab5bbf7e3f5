import { describe, expect, it } from 'vitest';
import {
  decodeJournalHeader,
  decodeRecordHeader,
  encodeJournalHeader,
  encodeRecord,
  JOURNAL_HEADER_SIZE,
  RECORD_HEADER_SIZE,
  RecordType,
  recordSpan,
  type JournalHeader,
} from './journal-format.js';

const header: JournalHeader = {
  journalId: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
  originalSize: 2 ** 40 + 123,
  pageSize: 4096,
  imageKind: 0,
  createdMs: 1_700_000_000_000,
  device: 2049n,
  inode: 1234567n,
  headSha256: new Uint8Array(32).fill(0xaa),
  tailSha256: new Uint8Array(32).fill(0xbb),
  path: '/images/disque ü.vhd',
};

describe('journal header', () => {
  it('round-trips', () => {
    const bytes = encodeJournalHeader(header);
    expect(bytes.length).toBe(JOURNAL_HEADER_SIZE);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('CFJOURN1');
    expect(decodeJournalHeader(bytes, 'j')).toEqual(header);
  });
  it('is null when short, with a wrong magic or a wrong checksum', () => {
    const bytes = encodeJournalHeader(header);
    expect(decodeJournalHeader(bytes.subarray(0, 4095), 'j')).toBeNull();
    for (const at of [0, 30, 200]) {
      const copy = bytes.slice();
      copy[at] ^= 1;
      expect(decodeJournalHeader(copy, 'j')).toBeNull();
    }
  });
  it('refuses a path longer than the header holds', () => {
    expect(() => encodeJournalHeader({ ...header, path: 'x'.repeat(5000) })).toThrow(/at most/);
  });
});

describe('journal records', () => {
  it('round-trip, 8-byte aligned, and belong to one journal', () => {
    const data = Uint8Array.from({ length: 13 }, (_, i) => i);
    const bytes = encodeRecord(header.journalId, { type: RecordType.beforeImage, sequence: 7, imageOffset: 8192, value: 0 }, data);
    expect(bytes.length).toBe(recordSpan(13));
    expect(bytes.length % 8).toBe(0);
    const decoded = decodeRecordHeader(bytes, header.journalId);
    expect(decoded).toMatchObject({ type: RecordType.beforeImage, sequence: 7, dataLength: 13, imageOffset: 8192 });
    expect(bytes.subarray(RECORD_HEADER_SIZE, RECORD_HEADER_SIZE + 13)).toEqual(data);
    expect(decodeRecordHeader(bytes, new Uint8Array(8))).toBeNull();
  });
  it('a flipped bit anywhere in the record header is detected', () => {
    const bytes = encodeRecord(header.journalId, { type: RecordType.resize, sequence: 1, imageOffset: 100, value: 50 });
    for (let bit = 0; bit < RECORD_HEADER_SIZE * 8; bit++) {
      const copy = bytes.slice();
      copy[bit >> 3] ^= 1 << (bit & 7);
      expect(decodeRecordHeader(copy, header.journalId)).toBeNull();
    }
  });
});
