/**
 * A loopback HTTP server for remote-image tests and benchmarks: serves one file or buffer by
 * `Range` (single ranges, RFC 9110 §14), with an ETag, and faults on demand: added latency, failing
 * statuses, short bodies, ignoring Range, and changing the content (new ETag) mid-run. It counts
 * requests and body bytes sent, the figures the remote tests bound.
 * Binds 127.0.0.1 on a random port; never reaches past this machine.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { open, type FileHandle } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';

export interface RangeServerFaults {
  /** Added before every answer, in ms. */
  latencyMs?: number;
  /** The next N requests answer this status (e.g. 500, 503, 429) instead of data. */
  failNext?: { count: number; status: number };
  /** The next N range answers send only half the body, then end the connection. */
  shortNext?: number;
  /** Answer every GET with 200 and the whole content (a server that ignores Range). */
  ignoreRange?: boolean;
  /** Answer with no ETag header. */
  noEtag?: boolean;
  /** The content "changes" (new ETag) once this many requests have been answered. */
  changeAfterRequests?: number;
}

export interface RangeServer {
  /** `http://127.0.0.1:PORT/disk.img?sig=SECRET` (the query stands for a SAS token and is required). */
  url: string;
  secret: string;
  stats: { requests: number; bytesSent: number; statuses: Record<number, number> };
  faults: RangeServerFaults;
  /** Makes the served content "change": a new ETag from now on. */
  bumpEtag(): void;
  close(): Promise<void>;
}

/** Serves `path` (a file, read by ranges: never loaded whole) or `data`. */
export async function startRangeServer(content: { path: string } | { data: Uint8Array }, faults: RangeServerFaults = {}): Promise<RangeServer> {
  let handle: FileHandle | undefined;
  let size: number;
  if ('path' in content) {
    handle = await open(content.path, 'r');
    size = (await handle.stat()).size;
  } else size = content.data.length;
  const secret = `s${Math.random().toString(36).slice(2)}`;
  let generation = 1;
  const stats = { requests: 0, bytesSent: 0, statuses: {} as Record<number, number> };
  const etag = () => `"v${generation}-${size}"`;

  const readRange = async (start: number, length: number): Promise<Uint8Array> => {
    if (!handle) return (content as { data: Uint8Array }).data.subarray(start, start + length);
    const out = new Uint8Array(length);
    let at = 0;
    while (at < length) {
      const { bytesRead } = await handle.read(out, at, length - at, start + at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return out;
  };

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.requests++;
    const send = (status: number, headers: Record<string, string | number>, body?: Uint8Array) => {
      stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
      res.writeHead(status, headers);
      if (body) stats.bytesSent += body.length;
      res.end(body);
    };
    if (faults.latencyMs) await new Promise((r) => setTimeout(r, faults.latencyMs));
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.searchParams.get('sig') !== secret) return send(403, {});
    if (req.method !== 'GET') return send(405, {});
    if (faults.failNext && faults.failNext.count > 0) {
      faults.failNext.count--;
      return send(faults.failNext.status, { 'retry-after': '0' });
    }
    if (faults.changeAfterRequests !== undefined && stats.requests > faults.changeAfterRequests) {
      faults.changeAfterRequests = undefined;
      generation++;
    }
    const tag = faults.noEtag ? undefined : etag();
    const ifMatch = req.headers['if-match'];
    if (tag && ifMatch && ifMatch !== tag) return send(412, {});
    const common: Record<string, string | number> = { 'accept-ranges': 'bytes', ...(tag ? { etag: tag } : {}) };
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (faults.ignoreRange || !range) return send(200, { ...common, 'content-length': size }, await readRange(0, size));
    const start = Number(range[1]);
    const end = Math.min(Number(range[2]), size - 1);
    if (start >= size || end < start) return send(416, { 'content-range': `bytes */${size}` });
    const body = await readRange(start, end - start + 1);
    if (faults.shortNext && faults.shortNext > 0) {
      faults.shortNext--;
      stats.statuses[206] = (stats.statuses[206] ?? 0) + 1;
      res.writeHead(206, { ...common, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': body.length });
      const half = body.subarray(0, Math.floor(body.length / 2));
      stats.bytesSent += half.length;
      res.write(half, () => res.destroy());
      return;
    }
    send(206, { ...common, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': body.length }, body);
  };

  const server: Server = createServer((req, res) => {
    answer(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/disk.img?sig=${secret}`,
    secret,
    stats,
    faults,
    bumpEtag: () => {
      generation++;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handle?.close();
    },
  };
}
