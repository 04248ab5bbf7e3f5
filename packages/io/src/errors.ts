/**
 * Typed, serialisable errors shared by every layer.
 *
 * Why serialisable: a custom Error sent through postMessage (piscina, worker
 * threads) arrives on Node 20 as a plain Error, losing class, code and details.
 * `toJSON` / `errorFromJSON` carry them across.
 */

export type ErrorKind =
  | 'corrupt'
  | 'unsupported'
  | 'out-of-range'
  | 'limit-exceeded'
  | 'unlock-failed'
  | 'not-found'
  | 'precondition'
  | 'parent-mismatch'
  | 'io';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface ColdfixErrorInit {
  code: string;
  layer: string;
  /** Absolute byte offset in the layer's own address space, when the problem has one. */
  offset?: number;
  details?: Record<string, JsonValue>;
  cause?: unknown;
}

export interface SerializedColdfixError {
  name: string;
  kind: ErrorKind;
  code: string;
  layer: string;
  message: string;
  offset?: number;
  details?: Record<string, JsonValue>;
  cause?: SerializedColdfixError | { name: string; message: string };
}

export abstract class ColdfixError extends Error {
  abstract readonly kind: ErrorKind;
  readonly code: string;
  readonly layer: string;
  readonly offset: number | undefined;
  readonly details: Record<string, JsonValue>;

  constructor(message: string, init: ColdfixErrorInit) {
    super(init.offset === undefined ? message : `${message} (at offset 0x${init.offset.toString(16)})`, {
      cause: init.cause,
    });
    this.name = new.target.name;
    this.code = init.code;
    this.layer = init.layer;
    this.offset = init.offset;
    this.details = init.details ?? {};
  }

  toJSON(): SerializedColdfixError {
    const cause = this.cause;
    return {
      name: this.name,
      kind: this.kind,
      code: this.code,
      layer: this.layer,
      message: this.message,
      ...(this.offset === undefined ? {} : { offset: this.offset }),
      ...(Object.keys(this.details).length ? { details: this.details } : {}),
      ...(cause instanceof ColdfixError
        ? { cause: cause.toJSON() }
        : cause instanceof Error
          ? { cause: { name: cause.name, message: cause.message } }
          : {}),
    };
  }
}

/** A structure on disk violates its format (bad signature, checksum, field out of bounds). */
export class CorruptError extends ColdfixError {
  readonly kind = 'corrupt' as const;
}
/** A valid structure uses a feature coldfix does not implement. */
export class UnsupportedError extends ColdfixError {
  readonly kind = 'unsupported' as const;
}
/** A read or write outside a source's bounds. */
export class OutOfRangeError extends ColdfixError {
  readonly kind = 'out-of-range' as const;
}
/** A size, count or depth read from disk exceeds our safety caps. */
export class LimitExceededError extends ColdfixError {
  readonly kind = 'limit-exceeded' as const;
}
/** A key or password did not unlock a protector. Never carries the secret. */
export class UnlockError extends ColdfixError {
  readonly kind = 'unlock-failed' as const;
}
/** A path, record, parent or key that was asked for does not exist. */
export class NotFoundError extends ColdfixError {
  readonly kind = 'not-found' as const;
}
/** A write refused because the state of the image makes it unsafe. */
export class PreconditionError extends ColdfixError {
  readonly kind = 'precondition' as const;
}
/** A parent image whose identity does not match what the child records. */
export class ParentMismatchError extends ColdfixError {
  readonly kind = 'parent-mismatch' as const;
}
/** The operating system failed an I/O call. */
export class IoError extends ColdfixError {
  readonly kind = 'io' as const;
}

const classes = {
  corrupt: CorruptError,
  unsupported: UnsupportedError,
  'out-of-range': OutOfRangeError,
  'limit-exceeded': LimitExceededError,
  'unlock-failed': UnlockError,
  'not-found': NotFoundError,
  precondition: PreconditionError,
  'parent-mismatch': ParentMismatchError,
  io: IoError,
} as const;

/** Rebuilds a typed error from `toJSON` output (e.g. after crossing a worker boundary). */
export function errorFromJSON(json: SerializedColdfixError): ColdfixError {
  const Ctor = classes[json.kind] ?? CorruptError;
  const cause =
    json.cause && 'kind' in json.cause ? errorFromJSON(json.cause as SerializedColdfixError) : json.cause ? Object.assign(new Error(json.cause.message), { name: json.cause.name }) : undefined;
  // The message already contains the offset suffix: pass offset separately without re-appending.
  const error = new Ctor(json.message, { code: json.code, layer: json.layer, details: json.details, cause });
  Object.defineProperty(error, 'offset', { value: json.offset });
  return error;
}

export function isColdfixError(value: unknown): value is ColdfixError {
  return value instanceof ColdfixError;
}

/** Wraps an OS error (ENOENT, EACCES, EIO…) into a typed IoError naming the file. */
export function ioErrorFrom(error: unknown, path: string, action: string): ColdfixError {
  if (error instanceof ColdfixError) return error;
  const code = (error as NodeJS.ErrnoException)?.code ?? 'EIO';
  const Ctor = code === 'ENOENT' ? NotFoundError : IoError;
  return new Ctor(`cannot ${action} ${path}: ${(error as Error)?.message ?? String(error)}`, {
    code: code === 'ENOENT' ? 'IO_NOT_FOUND' : `IO_${code}`,
    layer: 'io',
    details: { path, errno: code },
    cause: error,
  });
}
