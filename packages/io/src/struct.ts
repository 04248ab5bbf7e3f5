/**
 * Declarative on-disk structures: one table per structure, with explicit
 * offsets and the spec's field names; the decoder, encoder and TypeScript type
 * all come from it.
 *
 * ```ts
 * const VhdFooter = defineStruct('VhdFooter', 512, {
 *   cookie: { offset: 0, type: 'ascii', size: 8 },
 *   features: { offset: 8, type: 'u32be' },
 *   dataOffset: { offset: 16, type: 'u64be' },
 * });
 * const footer = VhdFooter.decode(bytes); // { cookie: string; features: number; dataOffset: bigint }
 * ```
 * Views are always bounded to the structure (`new DataView(b.buffer, b.byteOffset, size)`).
 */
import { CorruptError, OutOfRangeError } from './errors.js';
import { formatGuid, parseGuid } from './guid.js';

type FixedType = 'u8' | 'u16le' | 'u16be' | 'u32le' | 'u32be' | 'i8' | 'i16le' | 'i32le' | 'u24le' | 'u48le';
type BigType = 'u64le' | 'u64be' | 'i64le';
type SizedType = 'bytes' | 'ascii' | 'utf16le';

export type FieldSpec =
  | { offset: number; type: FixedType }
  | { offset: number; type: BigType }
  | { offset: number; type: SizedType; size: number }
  | { offset: number; type: 'guid' | 'guidBe' };

type FieldValue<F> = F extends { type: FixedType }
  ? number
  : F extends { type: BigType }
    ? bigint
    : F extends { type: 'bytes' }
      ? Uint8Array
      : string;

export type StructValue<Fields extends Record<string, FieldSpec>> = { [K in keyof Fields]: FieldValue<Fields[K]> };

export interface Struct<Fields extends Record<string, FieldSpec>> {
  readonly name: string;
  readonly size: number;
  readonly fields: Fields;
  /** Decodes from `bytes` at `at`; throws CorruptError (code STRUCT_TRUNCATED) if too short. */
  decode(bytes: Uint8Array, at?: number): StructValue<Fields>;
  /** Encodes into a new buffer of `size` bytes (or into `target` at `at`). Missing fields stay zero. */
  encode(value: Partial<StructValue<Fields>>, target?: Uint8Array, at?: number): Uint8Array;
}

const fixedSizes: Record<FixedType | BigType | 'guid' | 'guidBe', number> = {
  u8: 1, i8: 1, u16le: 2, u16be: 2, i16le: 2, u24le: 3, u32le: 4, u32be: 4, i32le: 4, u48le: 6,
  u64le: 8, u64be: 8, i64le: 8, guid: 16, guidBe: 16,
};

export function fieldSize(spec: FieldSpec): number {
  return 'size' in spec ? spec.size : fixedSizes[spec.type as keyof typeof fixedSizes];
}

export function defineStruct<Fields extends Record<string, FieldSpec>>(
  name: string,
  size: number,
  fields: Fields,
): Struct<Fields> {
  // Declaration check: fields must lie inside the structure and must not overlap.
  const spans = Object.entries(fields)
    .map(([field, spec]) => ({ field, start: spec.offset, end: spec.offset + fieldSize(spec) }))
    .sort((a, b) => a.start - b.start);
  for (let i = 0; i < spans.length; i++) {
    if (spans[i].end > size) throw new Error(`${name}.${spans[i].field} overflows the declared size ${size}`);
    if (i > 0 && spans[i].start < spans[i - 1].end) throw new Error(`${name}.${spans[i].field} overlaps ${spans[i - 1].field}`);
  }
  const entries = Object.entries(fields);

  return {
    name,
    size,
    fields,
    decode(bytes, at = 0) {
      if (at < 0 || at + size > bytes.length) {
        throw new CorruptError(`${name}: need ${size} bytes at ${at}, have ${bytes.length - at}`, {
          code: 'STRUCT_TRUNCATED',
          layer: 'io',
          details: { struct: name, size, available: bytes.length - at },
        });
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset + at, size);
      const out: Record<string, unknown> = {};
      for (const [field, spec] of entries) out[field] = readField(view, bytes, at, spec);
      return out as StructValue<Fields>;
    },
    encode(value, target, at = 0) {
      const buffer = target ?? new Uint8Array(size);
      if (at < 0 || at + size > buffer.length) {
        throw new OutOfRangeError(`${name}: cannot encode ${size} bytes at ${at} into ${buffer.length}`, {
          code: 'STRUCT_ENCODE_RANGE',
          layer: 'io',
        });
      }
      const view = new DataView(buffer.buffer, buffer.byteOffset + at, size);
      for (const [field, spec] of entries) {
        const v = (value as Record<string, unknown>)[field];
        if (v !== undefined) writeField(view, buffer, at, spec, v);
      }
      return buffer;
    },
  };
}

function readField(view: DataView, bytes: Uint8Array, at: number, spec: FieldSpec): unknown {
  const o = spec.offset;
  switch (spec.type) {
    case 'u8': return view.getUint8(o);
    case 'i8': return view.getInt8(o);
    case 'u16le': return view.getUint16(o, true);
    case 'u16be': return view.getUint16(o, false);
    case 'i16le': return view.getInt16(o, true);
    case 'u24le': return view.getUint16(o, true) + view.getUint8(o + 2) * 0x10000;
    case 'u32le': return view.getUint32(o, true);
    case 'u32be': return view.getUint32(o, false);
    case 'i32le': return view.getInt32(o, true);
    case 'u48le': return view.getUint32(o, true) + view.getUint16(o + 4, true) * 0x100000000;
    case 'u64le': return view.getBigUint64(o, true);
    case 'u64be': return view.getBigUint64(o, false);
    case 'i64le': return view.getBigInt64(o, true);
    case 'bytes': return bytes.subarray(at + o, at + o + spec.size);
    case 'ascii': return decodeAscii(bytes.subarray(at + o, at + o + spec.size));
    case 'utf16le': return decodeUtf16le(bytes.subarray(at + o, at + o + spec.size));
    case 'guid': return formatGuid(bytes.subarray(at + o, at + o + 16));
    case 'guidBe': return formatGuid(bytes.subarray(at + o, at + o + 16), false);
  }
}

function writeField(view: DataView, bytes: Uint8Array, at: number, spec: FieldSpec, v: unknown): void {
  const o = spec.offset;
  switch (spec.type) {
    case 'u8': return view.setUint8(o, v as number);
    case 'i8': return view.setInt8(o, v as number);
    case 'u16le': return view.setUint16(o, v as number, true);
    case 'u16be': return view.setUint16(o, v as number, false);
    case 'i16le': return view.setInt16(o, v as number, true);
    case 'u24le': view.setUint16(o, (v as number) & 0xffff, true); return view.setUint8(o + 2, Math.floor((v as number) / 0x10000));
    case 'u32le': return view.setUint32(o, v as number, true);
    case 'u32be': return view.setUint32(o, v as number, false);
    case 'i32le': return view.setInt32(o, v as number, true);
    case 'u48le': view.setUint32(o, (v as number) % 0x100000000, true); return view.setUint16(o + 4, Math.floor((v as number) / 0x100000000), true);
    case 'u64le': return view.setBigUint64(o, v as bigint, true);
    case 'u64be': return view.setBigUint64(o, v as bigint, false);
    case 'i64le': return view.setBigInt64(o, v as bigint, true);
    case 'bytes': bytes.set((v as Uint8Array).subarray(0, spec.size), at + o); return;
    case 'ascii': for (let i = 0; i < spec.size; i++) bytes[at + o + i] = i < (v as string).length ? (v as string).charCodeAt(i) & 0x7f : 0; return;
    case 'utf16le': {
      const s = v as string;
      for (let i = 0; i * 2 < spec.size; i++) view.setUint16(o + i * 2, i < s.length ? s.charCodeAt(i) : 0, true);
      return;
    }
    case 'guid': bytes.set(parseGuid(v as string), at + o); return;
    case 'guidBe': bytes.set(parseGuid(v as string, false), at + o); return;
  }
}

/** ASCII up to the first NUL. */
export function decodeAscii(bytes: Uint8Array): string {
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  let s = '';
  for (let i = 0; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** UTF-16LE up to the first NUL code unit. Unpaired surrogates are kept as code units. */
export function decodeUtf16le(bytes: Uint8Array): string {
  const units = Math.floor(bytes.length / 2);
  let s = '';
  for (let i = 0; i < units; i++) {
    const unit = bytes[i * 2] | (bytes[i * 2 + 1] << 8);
    if (unit === 0) break;
    s += String.fromCharCode(unit);
  }
  return s;
}

/** Bounded DataView over exactly this Uint8Array (never past a subarray's end). */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
