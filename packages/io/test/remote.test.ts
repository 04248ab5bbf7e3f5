/**
 * The remote (HTTP range) source against a loopback server: the ByteSource contract, and every
 * fault the network can bring (5xx, 429, short bodies, timeouts, a server ignoring Range, content
 * changing mid-read) ends in the right bytes or a typed error, never wrong bytes or a hang; no
 * message ever holds the URL's credential.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { HttpRangeSource, isColdfixError, maskUrl, openRemoteImageSource, scrubUrl, type ColdfixError } from '../src/index.js';
import { runSourceContract } from './source-contract.js';
import { startRangeServer, type RangeServer } from '@coldfix/test-images';

const random = (size: number) => new Uint8Array(randomBytes(size));
const fast = { retryBaseMs: 1, retryMaxMs: 5 };

const servers: RangeServer[] = [];
async function serve(data: Uint8Array, faults = {}): Promise<RangeServer> {
  const server = await startRangeServer({ data }, faults);
  servers.push(server);
  return server;
}
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function typedFailure(promise: Promise<unknown>): Promise<ColdfixError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isColdfixError(error), `expected a typed error, got ${String(error)}`).toBe(true);
  return error as ColdfixError;
}

runSourceContract('HttpRangeSource (requests split at 64 KiB)', async () => {
  const expected = random(300_001);
  const server = await startRangeServer({ data: expected });
  const source = await HttpRangeSource.open(server.url, { maxRequestBytes: 64 * 1024, ...fast });
  return { source, expected, cleanup: () => server.close() };
});

runSourceContract('openRemoteImageSource (64 KiB block cache over ranges, 4 MiB bound)', async () => {
  const expected = random(3 * 1024 * 1024 + 4097);
  const server = await startRangeServer({ data: expected });
  const source = await openRemoteImageSource(server.url, { ...fast, maxCacheBytes: 4 << 20 });
  return { source, expected, cleanup: () => server.close() };
}, { readRuns: 30 });

describe('maskUrl', () => {
  it('keeps parameter names, hides every value and user info', () => {
    expect(maskUrl('https://acct.blob.core.windows.net/c/disk.vhd?sv=2024-01-01&sp=r&sig=abc%2Bdef')).toBe(
      'https://acct.blob.core.windows.net/c/disk.vhd?sv=***&sp=***&sig=***',
    );
    expect(maskUrl('https://user:pw@host/x.vhd')).toBe('https://***@host/x.vhd');
    expect(maskUrl('http://host/plain.vhd')).toBe('http://host/plain.vhd');
    expect(maskUrl('not a url?sig=zzz')).toBe('not a url?***');
  });
  it('scrubUrl removes the raw URL and its query from free text', () => {
    const url = 'https://h/d.vhd?sig=SECRET123&se=2030';
    const text = `failed on ${url}; query was sig=SECRET123&se=2030`;
    const out = scrubUrl(text, url);
    expect(out).not.toContain('SECRET123');
    expect(out).toContain('https://h/d.vhd?sig=***&se=***');
  });
});

describe('HttpRangeSource faults', () => {
  it('reads through transient 500/503/429 answers (retried) and returns the right bytes', async () => {
    const data = random(200_000);
    const server = await serve(data);
    const source = await HttpRangeSource.open(server.url, fast);
    for (const status of [500, 503, 429]) {
      server.faults.failNext = { count: 2, status };
      expect(Buffer.from(await source.read(1000, 5000)).equals(Buffer.from(data.subarray(1000, 6000)))).toBe(true);
    }
    expect(source.stats.retries).toBe(6);
  });

  it('gives up with REMOTE_UNAVAILABLE after its retries, naming no secret', async () => {
    const server = await serve(random(10_000));
    const source = await HttpRangeSource.open(server.url, { ...fast, retries: 2 });
    server.faults.failNext = { count: 100, status: 502 };
    const error = await typedFailure(source.read(0, 512));
    expect(error.code).toBe('REMOTE_UNAVAILABLE');
    expect(JSON.stringify(error.toJSON()) + error.message).not.toContain(server.secret);
    expect(error.details.tries).toBe(3);
  });

  it('retries a short body and then returns exact bytes', async () => {
    const data = random(100_000);
    const server = await serve(data);
    const source = await HttpRangeSource.open(server.url, fast);
    server.faults.shortNext = 2;
    const got = await source.read(10, 90_000);
    expect(Buffer.from(got).equals(Buffer.from(data.subarray(10, 90_010)))).toBe(true);
    expect(source.stats.retries).toBe(2);
  });

  it('refuses a server that ignores Range (REMOTE_RANGE_UNSUPPORTED), at open and mid-run', async () => {
    const server = await serve(random(50_000), { ignoreRange: true });
    expect((await typedFailure(HttpRangeSource.open(server.url, fast))).code).toBe('REMOTE_RANGE_UNSUPPORTED');
    const ok = await serve(random(50_000));
    const source = await HttpRangeSource.open(ok.url, fast);
    ok.faults.ignoreRange = true;
    expect((await typedFailure(source.read(4096, 4096))).code).toBe('REMOTE_RANGE_UNSUPPORTED');
  });

  it('fails loudly with REMOTE_CHANGED when the image changes mid-read (If-Match / ETag)', async () => {
    const server = await serve(random(50_000));
    const source = await HttpRangeSource.open(server.url, fast);
    expect(source.etag).toBeDefined();
    await source.read(0, 512);
    server.bumpEtag();
    const error = await typedFailure(source.read(8192, 512));
    expect(error.code).toBe('REMOTE_CHANGED');
    expect(error.message).not.toContain(server.secret);
  });

  it('reads a server that sends no ETag (nothing to pin, still exact)', async () => {
    const data = random(20_000);
    const server = await serve(data, { noEtag: true });
    const source = await HttpRangeSource.open(server.url, fast);
    expect(source.etag).toBeUndefined();
    expect(Buffer.from(await source.read(19_000, 1000)).equals(Buffer.from(data.subarray(19_000)))).toBe(true);
  });

  it('times out a stalled server and ends in a typed error, not a hang', async () => {
    const server = await serve(random(20_000));
    const source = await HttpRangeSource.open(server.url, { ...fast, timeoutMs: 100, retries: 1 });
    server.faults.latencyMs = 2_000;
    const error = await typedFailure(source.read(0, 512));
    expect(error.code).toBe('REMOTE_UNAVAILABLE');
    expect(String(error.details.last)).toBe('timeout');
  }, 20_000);

  it('maps 403 to REMOTE_ACCESS_DENIED and 404 to REMOTE_NOT_FOUND, with the URL masked', async () => {
    const server = await serve(random(1000));
    const wrong = server.url.replace(server.secret, 'WRONGSECRET');
    const denied = await typedFailure(HttpRangeSource.open(wrong, fast));
    expect(denied.code).toBe('REMOTE_ACCESS_DENIED');
    expect(denied.message).not.toContain('WRONGSECRET');
    expect(denied.message).toContain('sig=***');
  });

  it('describes itself with the masked URL and counts the bytes it received', async () => {
    const server = await serve(random(100_000));
    const source = await HttpRangeSource.open(server.url, fast);
    await source.read(0, 65_536);
    expect(source.describe().identity).not.toContain(server.secret);
    expect(source.stats.bytesReceived).toBe(65_537); // the open probe's first byte, then the read
    expect(server.stats.bytesSent).toBe(65_537);
  });
});
