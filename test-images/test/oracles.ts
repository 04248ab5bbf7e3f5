/** Helpers running the independent tools the catalog tests compare against. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';

const pexec = promisify(execFile);

/** Runs a tool and returns stdout (throws on a non-zero exit). */
export async function tool(cmd: string, args: string[], encoding: 'utf8' | 'buffer' = 'utf8'): Promise<string> {
  const r = await pexec(cmd, args, { maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' });
  void encoding;
  return r.stdout;
}

/** SHA-256 of a tool's binary stdout (e.g. icat). */
export async function toolSha256(cmd: string, args: string[]): Promise<{ sha256: string; size: number }> {
  const r = await pexec(cmd, args, { maxBuffer: 512 * 1024 * 1024, encoding: 'buffer' });
  return { sha256: createHash('sha256').update(r.stdout).digest('hex'), size: r.stdout.length };
}

/** Exit code of a tool (no throw). */
export async function exitCode(cmd: string, args: string[]): Promise<number> {
  try {
    await pexec(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
    return 0;
  } catch (e) {
    return typeof (e as { code?: unknown }).code === 'number' ? ((e as { code: number }).code) : -1;
  }
}

/** One line of `fls -r -p`. */
export interface FlsEntry {
  nameType: string;
  metaType: string;
  deleted: boolean;
  /** `inode-type-id` or `inode`. */
  addr: string;
  path: string;
}

/** Parses `fls -r -p [-d]` output. */
export function parseFls(text: string): FlsEntry[] {
  const out: FlsEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(.)\/(.) (\* )?(\S+):\t(.*)$/.exec(line);
    if (!m) continue;
    out.push({ nameType: m[1]!, metaType: m[2]!, deleted: Boolean(m[3]), addr: m[4]!.replace(/\(realloc\)$/, ''), path: m[5]! });
  }
  return out;
}
