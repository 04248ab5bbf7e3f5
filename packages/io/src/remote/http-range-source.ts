/**
 * A disk image over HTTP(S) range requests (RFC 9110 §14): Azure page blobs behind a SAS URL, S3
 * presigned URLs, any server that honours `Range`. Only the bytes asked for cross the network.
 *
 * Safety rules, each one because the alternative returns wrong bytes silently:
 * - A response must be `206` with a `Content-Range` naming exactly the range asked for and the size
 *   seen at open. A server that ignores `Range` (`200` with the whole file) is refused, not read.
 * - The image must not change under us: every request carries `If-Match` with the ETag seen at open
 *   (strong ETags), and any ETag in a response must equal it. `412` or a different ETag is
 *   `REMOTE_CHANGED`, never retried.
 * - A short body is retried, then refused. 429, 5xx, timeouts and network failures are retried with
 *   exponential backoff (honouring `Retry-After`), a bounded number of times; other statuses fail at once.
 * - Credentials live only in the URL (SAS, presigned) or in headers given by the caller: every
 *   message and report shows the URL masked (`maskUrl`).
 *
 * This source does no caching; `openRemoteImageSource` puts the bounded block cache above it.
 */
import { checkRange, type ByteSource, type SourceInfo } from '../byte-source.js';
import { IoError, NotFoundError, UnlockError, UnsupportedError, type ColdfixError } from '../errors.js';
import { maskUrl } from './mask-url.js';

export interface HttpRangeOptions {
  /** Extra request headers (e.g. `x-ms-version` for Azure); never logged. */
  headers?: Record<string, string>;
  /** Requests in flight at once (default 4). */
  maxParallel?: number;
  /** Largest single range request in bytes (default 8 MiB); longer reads are split and run in parallel. */
  maxRequestBytes?: number;
  /** Retries after the first try for retryable failures (default 5). */
  retries?: number;
  /** First backoff delay in ms, doubled each retry (default 200). */
  retryBaseMs?: number;
  /** Longest wait between retries in ms (default 10 000). */
  retryMaxMs?: number;
  /** Per-request timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** Injected for tests; default the global fetch (TLS verification on). */
  fetch?: typeof fetch;
}

/** Transfer counters, for reports and benchmarks. */
export interface HttpTransferStats {
  requests: number;
  retries: number;
  bytesReceived: number;
}

const LAYER = 'remote';

class RetryableFailure extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export class HttpRangeSource implements ByteSource {
  readonly blockSize = 512;
  readonly stats: HttpTransferStats = { requests: 0, retries: 0, bytesReceived: 0 };
  private readonly maxParallel: number;
  private readonly maxRequestBytes: number;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;

  private constructor(
    private readonly url: string,
    readonly size: number,
    /** The validator every later request is pinned to (undefined when the server gave none). */
    readonly etag: string | undefined,
    private readonly options: HttpRangeOptions,
  ) {
    this.maxParallel = Math.max(1, options.maxParallel ?? 4);
    this.maxRequestBytes = Math.max(64 * 1024, options.maxRequestBytes ?? 8 << 20);
  }

  /**
   * Opens `url`: one request for its first byte gives the size (from `Content-Range`) and ETag.
   * A GET rather than a HEAD, because a presigned URL is signed for one method.
   * @throws UnsupportedError `REMOTE_RANGE_UNSUPPORTED` when the server ignores Range; NotFoundError
   * (404); UnlockError `REMOTE_ACCESS_DENIED` (401/403); IoError for other failures after retries.
   */
  static async open(url: string, options: HttpRangeOptions = {}): Promise<HttpRangeSource> {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new UnsupportedError(`${maskUrl(url)}: only http and https images are read`, { code: 'REMOTE_SCHEME_UNSUPPORTED', layer: LAYER });
    }
    const probe = new HttpRangeSource(url, 0, undefined, options);
    const { total, etag } = await probe.withRetries(0, 0, async () => {
      const response = await probe.request(0, 0, undefined);
      const range = parseContentRange(response.headers.get('content-range'));
      probe.stats.bytesReceived += await drain(response, 1);
      if (!range || range.start !== 0 || range.total === undefined) {
        throw new IoError(`${maskUrl(url)}: the server gave no usable Content-Range for the first byte`, {
          code: 'REMOTE_BAD_RESPONSE',
          layer: LAYER,
          details: { url: maskUrl(url), contentRange: response.headers.get('content-range') },
        });
      }
      return { total: range.total, etag: strongEtag(response.headers.get('etag')) };
    });
    if (!Number.isSafeInteger(total) || total <= 0) {
      throw new IoError(`${maskUrl(url)}: image size ${total} is not usable`, { code: 'REMOTE_BAD_RESPONSE', layer: LAYER });
    }
    const source = new HttpRangeSource(url, total, etag, options);
    source.stats.requests = probe.stats.requests;
    source.stats.retries = probe.stats.retries;
    source.stats.bytesReceived = probe.stats.bytesReceived;
    return source;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, LAYER);
    const out = new Uint8Array(length);
    await this.readInto(offset, out);
    return out;
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(offset, target.length, this.size, LAYER);
    if (this.closed) throw new IoError(`${maskUrl(this.url)}: read after close`, { code: 'IO_EBADF', layer: LAYER, offset });
    const pieces: Promise<void>[] = [];
    for (let at = 0; at < target.length; at += this.maxRequestBytes) {
      const piece = target.subarray(at, Math.min(at + this.maxRequestBytes, target.length));
      pieces.push(this.fetchExact(offset + at, piece));
    }
    // Every piece settles before this returns (a caller may reuse `target` right after).
    const results = await Promise.allSettled(pieces);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  describe(): SourceInfo {
    return { kind: 'http', identity: maskUrl(this.url), details: { size: this.size, ...(this.etag ? { etag: this.etag } : {}) } };
  }

  private async fetchExact(offset: number, target: Uint8Array): Promise<void> {
    await this.acquire();
    try {
      await this.withRetries(offset, target.length, async () => {
        const response = await this.request(offset, target.length, this.etag);
        const range = parseContentRange(response.headers.get('content-range'));
        if (!range || range.start !== offset || range.end !== offset + target.length - 1 || range.total !== this.size) {
          await response.body?.cancel().catch(() => undefined);
          throw this.changed(offset, `the server answered bytes ${response.headers.get('content-range') ?? '(none)'} for bytes ${offset}-${offset + target.length - 1}/${this.size}`);
        }
        const received = await readBody(response, target);
        this.stats.bytesReceived += received;
        if (received !== target.length) throw new RetryableFailure(`short body: ${received} of ${target.length} bytes`);
      });
    } finally {
      this.release();
    }
  }

  /** One range request; maps statuses to typed errors or retryable failures. */
  private async request(offset: number, length: number, ifMatch: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { ...this.options.headers, range: `bytes=${offset}-${offset + Math.max(length, 1) - 1}` };
    if (ifMatch) headers['if-match'] = ifMatch;
    this.stats.requests++;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(this.url, {
        method: 'GET',
        headers,
        redirect: 'follow',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      // The fetch error's text may quote the URL: it is not passed on, only its kind.
      const name = (error as Error)?.name === 'TimeoutError' ? 'timeout' : 'network error';
      throw new RetryableFailure(name);
    }
    const status = response.status;
    if (status === 206) {
      const etag = strongEtag(response.headers.get('etag'));
      if (this.etag && etag && etag !== this.etag) {
        await response.body?.cancel().catch(() => undefined);
        throw this.changed(offset, `its ETag changed from ${this.etag} to ${etag}`);
      }
      return response;
    }
    await response.body?.cancel().catch(() => undefined);
    if (status === 200) {
      throw new UnsupportedError(`${maskUrl(this.url)}: the server ignores Range requests (it answered 200 with the whole image); coldfix reads remote images only by range`, {
        code: 'REMOTE_RANGE_UNSUPPORTED',
        layer: LAYER,
        details: { url: maskUrl(this.url) },
      });
    }
    if (status === 412 || status === 416) throw this.changed(offset, `the server answered ${status}`);
    if (status === 429 || status >= 500) throw new RetryableFailure(`HTTP ${status}`, retryAfterMs(response.headers.get('retry-after')));
    if (status === 404) throw new NotFoundError(`${maskUrl(this.url)}: not found (HTTP 404)`, { code: 'REMOTE_NOT_FOUND', layer: LAYER, details: { url: maskUrl(this.url) } });
    if (status === 401 || status === 403) {
      throw new UnlockError(`${maskUrl(this.url)}: access denied (HTTP ${status}); check that the SAS or presigned URL is valid and not expired`, {
        code: 'REMOTE_ACCESS_DENIED',
        layer: LAYER,
        details: { url: maskUrl(this.url), status },
      });
    }
    throw new IoError(`${maskUrl(this.url)}: HTTP ${status}`, { code: 'REMOTE_HTTP_STATUS', layer: LAYER, offset, details: { url: maskUrl(this.url), status } });
  }

  private async withRetries<T>(offset: number, length: number, attempt: () => Promise<T>): Promise<T> {
    const retries = this.options.retries ?? 5;
    const base = this.options.retryBaseMs ?? 200;
    const cap = this.options.retryMaxMs ?? 10_000;
    for (let tryNumber = 0; ; tryNumber++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof RetryableFailure)) throw error;
        if (tryNumber >= retries) {
          throw new IoError(`${maskUrl(this.url)}: reading bytes ${offset}-${offset + length - 1} failed after ${tryNumber + 1} tries (last: ${error.message})`, {
            code: 'REMOTE_UNAVAILABLE',
            layer: LAYER,
            offset,
            details: { url: maskUrl(this.url), length, tries: tryNumber + 1, last: error.message },
          });
        }
        this.stats.retries++;
        const backoff = Math.min(cap, base * 2 ** tryNumber);
        await sleep(Math.min(cap, Math.max(backoff, error.retryAfterMs ?? 0)));
      }
    }
  }

  private changed(offset: number, why: string): ColdfixError {
    return new IoError(`${maskUrl(this.url)}: the image changed while it was being read (${why}); nothing read from it can be trusted`, {
      code: 'REMOTE_CHANGED',
      layer: LAYER,
      offset,
      details: { url: maskUrl(this.url), ...(this.etag ? { etag: this.etag } : {}) },
    });
  }

  private async acquire(): Promise<void> {
    if (this.active < this.maxParallel) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

/** `bytes START-END/TOTAL` (TOTAL may be `*`). */
export function parseContentRange(header: string | null): { start: number; end: number; total: number | undefined } | undefined {
  const match = header ? /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(header) : null;
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  const total = match[3] === '*' ? undefined : Number(match[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  if (total !== undefined && (!Number.isSafeInteger(total) || end >= total)) return undefined;
  return { start, end, total };
}

/** A strong ETag, or undefined (a weak `W/` validator cannot be used with If-Match). */
function strongEtag(header: string | null): string | undefined {
  if (!header || header.startsWith('W/')) return undefined;
  return header;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** Reads the body into `target`; never past it (a longer body is an error). Returns the bytes received. */
async function readBody(response: Response, target: Uint8Array): Promise<number> {
  if (!response.body) return 0;
  const reader = response.body.getReader();
  let at = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (at + value.length > target.length) {
        throw new IoError(`the server sent more than the ${target.length} bytes asked for`, { code: 'REMOTE_BAD_RESPONSE', layer: LAYER });
      }
      target.set(value, at);
      at += value.length;
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    if (error instanceof IoError) throw error;
    return at; // a connection cut mid-body: a short body, retried by the caller
  }
  return at;
}

/** Reads and drops at most about `limit` bytes of a body (the open probe's one byte); returns the bytes seen. */
async function drain(response: Response, limit: number): Promise<number> {
  if (!response.body) return 0;
  const reader = response.body.getReader();
  let seen = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return seen;
      seen += value.length;
      if (seen > limit) return seen;
    }
  } catch {
    throw new RetryableFailure('connection cut mid-body');
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
