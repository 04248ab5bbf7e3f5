/**
 * Listing output written as bytes (ls, timeline): lines are formatted
 * straight into 1 MiB buffers (ASCII digits and FILETIMEs without
 * intermediate strings, names UTF-8 encoded in place, as a string write to
 * stdout encodes them), handed to stdout with back-pressure. EPIPE (`| head`)
 * stops output quietly.
 */
import { ListMark, NAMESPACES, RecordBit, writeFiletimeIso, type ListBatch } from '@coldfix/ntfs';

const CHUNK = 1 << 20;

export class ByteOutput {
  buf: Buffer = Buffer.allocUnsafe(CHUNK);
  pos = 0;
  closed = false;
  private full: Buffer[] = [];
  /** CHUNK-sized buffers the stream has finished with (reused: fresh 1 MiB buffers each cost a GC's attention). */
  private free: Buffer[] = [];

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') this.closed = true;
    });
  }

  /** Makes room for `n` more bytes (may switch `buf`: take it after this call). */
  room(n: number): Buffer {
    if (this.pos + n > this.buf.length) {
      if (this.pos) this.full.push(this.buf.subarray(0, this.pos));
      this.buf = (n <= CHUNK && this.free.pop()) || Buffer.allocUnsafe(Math.max(CHUNK, n));
      this.pos = 0;
    }
    return this.buf;
  }

  /** Appends a string, UTF-8 encoded. */
  text(s: string): void {
    this.room(s.length * 3);
    this.pos += this.buf.write(s, this.pos);
  }

  /** Writes the filled buffers out, waiting when stdout says to. */
  async drain(): Promise<void> {
    const chunks = this.full;
    this.full = [];
    for (const chunk of chunks) {
      if (this.closed) return;
      const whole = chunk.buffer.byteLength === CHUNK && chunk.byteOffset === 0 ? Buffer.from(chunk.buffer, 0, CHUNK) : null;
      const written = whole ? (error?: Error | null): void => void (!error && this.free.length < 4 && this.free.push(whole)) : undefined;
      if (!this.stream.write(chunk, written)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            this.stream.off('drain', done);
            this.stream.off('error', done);
            resolve();
          };
          this.stream.on('drain', done);
          this.stream.on('error', done);
        });
      }
    }
  }

  async end(): Promise<void> {
    if (this.pos) this.full.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(0);
    this.pos = 0;
    await this.drain();
  }
}

/** Writes a non-negative integer (< 2^53) in decimal; returns the position after it. */
export function writeUint(b: Uint8Array, p: number, v: number): number {
  if (v < 0x80000000) {
    // Int32 arithmetic (the common case: record numbers, sequences, most sizes; doubles from Float64Arrays made int here).
    let x = v | 0;
    const len = x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 10000 ? 4 : x < 100000 ? 5 : x < 1000000 ? 6 : x < 10000000 ? 7 : x < 100000000 ? 8 : x < 1000000000 ? 9 : 10;
    for (let i = p + len - 1; i > p; i--) {
      const q = (x / 10) | 0;
      b[i] = (48 + x - q * 10) | 0;
      x = q;
    }
    b[p] = (48 + x) | 0;
    return p + len;
  }
  let len = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) len++;
  for (let i = p + len - 1; i >= p; i--) {
    b[i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
  return p + len;
}

/**
 * writeFiletimeIso with the text of the last second kept: a FILETIME in the
 * same second as the previous one (files made together mostly are) copies
 * "YYYY-MM-DDTHH:MM:SS." and writes only the 7 fraction digits and "Z".
 * The second's first tick is kept as 32-bit halves (FILETIMEs exceed 2^53).
 */
const secondText = new Uint8Array(20);
let secondLo = 0;
let secondHi = -1;

export function writeTime(b: Uint8Array, p: number, lo: number, hi: number): number {
  // Ticks since the cached second's start: exact when small (hi equal or one more), else far outside [0, 10^7).
  const d = (hi - secondHi) * 4294967296 + (lo - secondLo);
  if (d >= 0 && d < 10000000) {
    for (let i = 0; i < 20; i++) b[p + i] = secondText[i];
    let f = d;
    for (let i = p + 26; i > p + 19; i--) {
      const q = (f / 10) | 0;
      b[i] = 48 + f - q * 10;
      f = q;
    }
    b[p + 27] = 90;
    return p + 28;
  }
  const end = writeFiletimeIso(lo, hi, b, p);
  if (end - p === 28 && b[p + 19] === 46) {
    let fraction = 0;
    for (let i = p + 20; i < p + 27; i++) fraction = fraction * 10 + b[i] - 48;
    for (let i = 0; i < 20; i++) secondText[i] = b[p + i];
    secondLo = lo - fraction;
    secondHi = hi;
    if (secondLo < 0) {
      secondLo += 4294967296;
      secondHi--;
    }
  }
  return end;
}

/**
 * The four $SI times of slot `n`, tab-separated (a time equal to the one
 * before it is copied, not formatted again); `-` for each when there is no $SI.
 */
export function writeSiTimes(b: Uint8Array, p: number, si: Uint32Array, has: boolean, n: number, separator: number): number {
  if (!has) {
    for (let k = 0; k < 4; k++) {
      if (k) b[p++] = separator;
      b[p++] = 45;
    }
    return p;
  }
  const o = n * 8;
  let previous = -1;
  for (let k = 0; k < 4; k++) {
    if (k) b[p++] = separator;
    const start = p;
    if (previous >= 0 && si[o + 2 * k] === si[o + 2 * k - 2] && si[o + 2 * k + 1] === si[o + 2 * k - 1]) {
      const length = start - previous - 1;
      for (let i = 0; i < length; i++) b[p + i] = b[previous + i];
      p += length;
    } else p = writeTime(b, p, si[o + 2 * k], si[o + 2 * k + 1]);
    previous = start;
  }
  return p;
}

/** Writes `s` UTF-8 encoded (as Buffer.write does): ASCII byte by byte, anything else through Buffer.write. */
function writeText(b: Buffer, p: number, s: string): number {
  const length = s.length;
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return p - i + b.write(s, p - i);
    b[p++] = c;
  }
  return p;
}

/**
 * Whether fls prints a plain `path` row for an entry (TSK fls_lib.c print_dent_act prints each
 * $I30 index and unnamed $DATA, and something when it printed nothing else); its named streams and
 * other indexes get `path:name` rows besides.
 */
export function hasPlainRow(hasIndexRoot: boolean, hasDefaultData: boolean, streamCount: number): boolean {
  return hasIndexRoot || hasDefaultData || streamCount === 0;
}

const TYPE_CODES = ['r/r', 'd/d', 'l/l', '-/-'].map((s) => Buffer.from(s, 'latin1'));

/**
 * `fls -r -p`'s rows of a batch, as `type[ *] record-sequence<TAB>path<TAB>size<TAB>4 $SI times`:
 * a plain row where hasPlainRow says, a `path:name` row per named $DATA and per other index
 * ($Secure:$SDH, the size of its root), and fls's `dir/.:name` repeat of a live directory's named $DATA
 * (packages/ntfs/test/helpers/oracle.ts holds the same rules equal to fls on every test volume).
 */
export function writeLsLines(out: ByteOutput, batch: ListBatch): void {
  const t = batch.table;
  // Where the last directory path written lies in its output buffer (long Windows paths: ~25 M characters on a system volume).
  let lastDir = '';
  let lastDirBuffer: Buffer | null = null;
  let lastDirStart = 0;
  let lastDirEnd = 0;
  for (let i = 0; i < batch.length; i++) {
    const dir = batch.dir[i];
    const name = batch.name[i];
    const mark = batch.mark[i];
    if (mark & ListMark.virtual) {
      out.text(`d/d ${batch.record[i]}-0\t${batch.path(i)}\t0\t-\t-\t-\t-\n`);
      continue;
    }
    const n = batch.slot[i];
    const bits = t.bits[n];
    const streams = t.streamMap.get(n);
    const b = out.room((dir.length + name.length) * 3 + 256);
    const lineStart = out.pos;
    let p = lineStart;
    const code = TYPE_CODES[t.type[n]];
    b[p++] = code[0];
    b[p++] = code[1];
    b[p++] = code[2];
    if (mark & ListMark.deleted) {
      b[p++] = 32;
      b[p++] = 42;
    }
    b[p++] = 32;
    p = writeUint(b, p, batch.record[i]);
    b[p++] = 45;
    p = writeUint(b, p, t.sequence[n]);
    const headEnd = p;
    b[p++] = 9;
    if (dir === lastDir && b === lastDirBuffer && lastDirEnd - lastDirStart >= 32) {
      // The same long directory as the line before (entries come directory by directory): its bytes
      // copied (a short one is written faster than copyWithin is called).
      b.copyWithin(p, lastDirStart, lastDirEnd);
      p += lastDirEnd - lastDirStart;
    } else if (dir.length) {
      lastDirStart = p;
      p = writeText(b, p, dir);
      lastDirEnd = p;
      lastDir = dir;
      lastDirBuffer = b;
    }
    b[p++] = 47;
    p = writeText(b, p, name);
    b[p++] = 9;
    p = writeUint(b, p, t.size[n]);
    b[p++] = 9;
    const timesStart = p;
    p = writeSiTimes(b, p, t.si, (bits & RecordBit.hasSi) !== 0, n, 9);
    b[p++] = 10;
    if (!streams) {
      out.pos = p;
      continue;
    }
    const head = b.toString('latin1', lineStart, headEnd);
    const times = b.toString('latin1', timesStart, p - 1);
    // The plain row stays only where fls prints one (the stream rows below are strings: streams are rare).
    // Dropping it keeps the directory bytes cached above valid: the stream rows write the same bytes there.
    out.pos = hasPlainRow((bits & RecordBit.hasIndexRoot) !== 0, (bits & RecordBit.hasDefaultData) !== 0, streams.length) ? p : lineStart;
    const path = batch.path(i);
    const repeat = (bits & RecordBit.isDirectory) !== 0 && !(mark & ListMark.deleted);
    for (const s of streams) {
      out.text(`${head}\t${path}:${s.name}\t${s.size}\t${times}\n`);
      if (repeat && s.kind === 'data') out.text(`${head}\t${path}/.:${s.name}\t${s.size}\t${times}\n`);
    }
  }
}

/** Writes the characters of `s` that JSON.stringify leaves as they are (printable ASCII but `"` and `\\`); -1 at any other. */
function writeJsonPlain(b: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 34 || c === 92) return -1;
    b[p++] = c;
  }
  return p;
}

/**
 * Writes `first` + `joint` + `second` as a JSON string literal, exactly as JSON.stringify does: plain
 * ASCII byte by byte, anything else (quotes, backslashes, controls, non-ASCII, lone surrogates)
 * through JSON.stringify and Buffer.write (UTF-8).
 */
function writeJsonString(b: Buffer, p: number, first: string, joint = '', second = ''): number {
  const start = p;
  b[p++] = 34;
  p = writeJsonPlain(b, p, first);
  if (p >= 0 && joint) p = writeJsonPlain(b, p, joint);
  if (p >= 0 && second) p = writeJsonPlain(b, p, second);
  if (p < 0) return start + b.write(JSON.stringify(first + joint + second), start);
  b[p++] = 34;
  return p;
}

/** Writes the ASCII `s` (a literal of this module). */
function writeAscii(b: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
  return p;
}

/** `,"key":"time"` for the four times at `times[o]` (halves), or `null`s. */
function writeJsonTimes(b: Uint8Array, p: number, times: Uint32Array, o: number, present: boolean): number {
  for (let k = 0; k < 4; k++) {
    p = writeAscii(b, p, JSON_TIME_KEYS[k]);
    if (!present) {
      p = writeAscii(b, p, 'null');
      continue;
    }
    b[p++] = 34;
    p = writeTime(b, p, times[o + 2 * k], times[o + 2 * k + 1]);
    b[p++] = 34;
  }
  return p;
}

const JSON_TIME_KEYS = [',"created":', ',"modified":', ',"mftModified":', ',"accessed":'];
const JSON_TYPES = ['"file"', '"dir"', '"link"', '"other"'];
const JSON_NAMESPACES = NAMESPACES.map((n) => `"${n}"`);

/**
 * The NDJSON lines of a batch (`ls --json`), written as bytes: what JSON.stringify gives for each
 * entry's object (cli/src/commands/ls.ts entryJson is the reference; tests hold them byte-equal).
 */
export function writeJsonLines(out: ByteOutput, batch: ListBatch): void {
  const t = batch.table;
  const pool = t.names;
  for (let i = 0; i < batch.length; i++) {
    const dir = batch.dir[i];
    const name = batch.name[i];
    const n = batch.slot[i];
    const mark = batch.mark[i];
    const virtual = (mark & ListMark.virtual) !== 0;
    const firstName = virtual ? 0 : t.nameStart[n];
    const lastName = virtual ? 0 : firstName + t.nameCount[n];
    let room = (dir.length + name.length) * 6 + 512;
    for (let s = firstName; s < lastName; s++) room += pool.names[s].length * 6 + 256;
    const streams = virtual ? undefined : t.streamMap.get(n);
    for (const s of streams ?? []) room += s.name.length * 6 + 64;
    const reparse = virtual ? undefined : t.reparseMap.get(n);
    const reparseText = reparse ? JSON.stringify({ tag: `0x${reparse.tag.toString(16)}`, kind: reparse.kind, ...(reparse.target ? { target: reparse.target } : {}) }) : '';
    room += reparseText.length * 3;
    const b = out.room(room);
    let p = out.pos;
    p = writeAscii(b, p, '{"path":');
    p = writeJsonString(b, p, dir, '/', name);
    if (virtual) {
      p = writeAscii(b, p, ',"type":"dir","record":');
      p = writeUint(b, p, batch.record[i]);
      p = writeAscii(b, p, ',"sequence":0,"size":0,"deleted":false,"created":null,"modified":null,"mftModified":null,"accessed":null,"names":[],"streams":[]}\n');
      out.pos = p;
      continue;
    }
    p = writeAscii(b, p, ',"type":');
    p = writeAscii(b, p, JSON_TYPES[t.type[n]]);
    p = writeAscii(b, p, ',"record":');
    p = writeUint(b, p, batch.record[i]);
    p = writeAscii(b, p, ',"sequence":');
    p = writeUint(b, p, t.sequence[n]);
    p = writeAscii(b, p, ',"size":');
    p = writeUint(b, p, t.size[n]);
    p = writeAscii(b, p, mark & ListMark.deleted ? ',"deleted":true' : ',"deleted":false');
    if (mark & ListMark.reallocated) p = writeAscii(b, p, ',"reallocated":true');
    if (mark & ListMark.orphan) p = writeAscii(b, p, ',"orphan":true');
    p = writeJsonTimes(b, p, t.si, n * 8, (t.bits[n] & RecordBit.hasSi) !== 0);
    p = writeAscii(b, p, ',"names":[');
    for (let s = firstName; s < lastName; s++) {
      if (s > firstName) b[p++] = 44;
      p = writeAscii(b, p, '{"name":');
      p = writeJsonString(b, p, pool.names[s]);
      p = writeAscii(b, p, ',"namespace":');
      p = writeAscii(b, p, JSON_NAMESPACES[pool.namespace[s]]);
      p = writeAscii(b, p, ',"parent":');
      p = writeUint(b, p, pool.parent[s]);
      p = writeAscii(b, p, ',"parentSequence":');
      p = writeUint(b, p, pool.parentSequence[s]);
      p = writeJsonTimes(b, p, pool.times, s * 8, true);
      b[p++] = 125;
    }
    p = writeAscii(b, p, '],"streams":[');
    let first = true;
    for (const s of streams ?? []) {
      if (!first) b[p++] = 44;
      first = false;
      p = writeAscii(b, p, '{"name":');
      p = writeJsonString(b, p, s.name);
      p = writeAscii(b, p, ',"size":');
      p = writeUint(b, p, s.size);
      p = writeAscii(b, p, s.kind === 'data' ? ',"type":"data"}' : ',"type":"index"}');
    }
    b[p++] = 93;
    if (reparse) {
      p = writeAscii(b, p, ',"reparse":');
      p += b.write(reparseText, p);
    }
    b[p++] = 125;
    b[p++] = 10;
    out.pos = p;
  }
}
