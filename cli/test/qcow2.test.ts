/**
 * The CLI over qcow2: the catalog's windows-sample disk converted by qemu-img
 * into a qcow2 base with an empty qcow2 overlay on top (a two-member chain).
 * Oracles: `qemu-img info --output=json` (virtual size, backing file, format
 * version), The Sleuth Kit's `fls -p` on the raw disk (the CrowdStrike folder's
 * names and MFT records), and the catalog's CrowdStrike facts (sha256, class)
 * written by the generator. After a real repair: `qemu-img check` (exit 0),
 * `fls` on `qemu-img convert -O raw` of the repaired chain, the base's SHA-256.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type CatalogEntry } from '@coldfix/test-images';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const bin = join(repo, 'cli/bin/coldfix.js');
const catalog = await loadCatalog().catch(() => null);
const entry = catalog?.entries['windows-sample'] as (CatalogEntry & { extra: { crowdstrike: Array<{ path: string; sha256: string; classification: string }>; crowdstrikeDir: string; windowsPartition: { startLba: number } } }) | undefined;
const raw = entry ? resolve(catalog!.cacheDir, entry.image) : '';
const hasTool = (name: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const ok = !!entry && existsSync(raw) && hasTool('qemu-img') && hasTool('fls');
const skip = !ok && process.env.COLDFIX_REQUIRE_ORACLES !== '1';

function coldfix(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) =>
    execFile(process.execPath, [bin, ...args], { maxBuffer: 64 << 20, timeout: 600_000 }, (error, stdout, stderr) =>
      res({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    ),
  );
}

describe.skipIf((skip) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')(`coldfix over a qcow2 chain${skip ? ' (skipped: windows-sample, qemu-img or fls missing)' : ''}`, () => {
  let dir = '';
  let top = '';
  let base = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'coldfix-qcow2-cli-'));
    base = join(dir, 'base.qcow2');
    top = join(dir, 'top.qcow2');
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', '-o', 'compat=0.10', raw, base]);
    execFileSync('qemu-img', ['create', '-f', 'qcow2', '-o', 'lazy_refcounts=on', '-b', 'base.qcow2', '-F', 'qcow2', top]);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('info --json: both chain members with version, flags and backing name as qemu-img info reports them', async () => {
    const r = await coldfix(['info', top, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { format: string; virtualSize: number; chain: Array<{ path: string; format: string; variant: string; flags: string[]; backingFile?: string; backingFormat?: string }> };
    const q = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '--backing-chain', top], { encoding: 'utf8' })) as Array<{
      'virtual-size': number;
      filename: string;
      'backing-filename'?: string;
      'backing-filename-format'?: string;
      'format-specific': { data: { compat: string; 'lazy-refcounts'?: boolean } };
    }>;
    expect(doc.format).toBe('qcow2');
    expect(doc.virtualSize).toBe(q[0]['virtual-size']);
    expect(doc.chain.map((c) => c.path)).toEqual(q.map((m) => resolve(m.filename)));
    expect(doc.chain.map((c) => c.variant)).toEqual(q.map((m) => (m['format-specific'].data.compat === '0.10' ? 'v2' : 'v3')));
    expect(doc.chain[0].flags).toContain(`compat=${q[0]['format-specific'].data.compat}`);
    expect(doc.chain[0].flags.includes('lazy_refcounts')).toBe(q[0]['format-specific'].data['lazy-refcounts'] === true);
    expect([doc.chain[0].backingFile, doc.chain[0].backingFormat]).toEqual([q[0]['backing-filename'], q[0]['backing-filename-format']]);
  }, 120_000);

  it('ls: the CrowdStrike folder read through the chain lists what fls lists on the raw disk', async () => {
    const r = await coldfix(['ls', '--json', top, entry!.extra.crowdstrikeDir]);
    expect(r.code, r.stderr).toBe(0);
    const ours = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { path: string; record: number });
    const fls = execFileSync('fls', ['-r', '-p', '-o', String(entry!.extra.windowsPartition.startLba), raw], { encoding: 'utf8', maxBuffer: 256 << 20 });
    const prefix = `${entry!.extra.crowdstrikeDir.slice(1)}/`;
    const theirs = fls
      .split('\n')
      .map((l) => /^[-a-z/]+ \*? ?(\d+)-\d+-\d+:\t(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => !!m && m[2].startsWith(prefix) && !m[2].slice(prefix.length).includes('/') && !m[2].includes(':'))
      .map((m) => `${m[1]} /${m[2]}`);
    expect(theirs.length).toBeGreaterThan(5);
    expect(ours.map((e) => `${e.record} ${e.path}`).sort()).toEqual([...new Set(theirs)].sort());
  }, 300_000);

  it('verify and repair --dry-run: the C-00000291 matches and hashes of the catalog, exit 3 (affected), nothing written', async () => {
    const before = execFileSync('sha256sum', [top, base], { encoding: 'utf8' });
    const expected = entry!.extra.crowdstrike
      .filter((f) => /\/C-00000291[^/]*\.sys$/.test(f.path))
      .map((f) => `${f.path.replace(/\//g, '\\')} ${f.sha256} ${f.classification}`)
      .sort();
    const dry = await coldfix(['repair', '--dry-run', '--json', top]);
    expect(dry.code, dry.stderr).toBe(3);
    const plan = JSON.parse(dry.stdout) as { format: string; volumes: Array<{ matches: Array<{ path: string; sha256: string; classification: string }> }> };
    expect(plan.format).toBe('qcow2');
    expect(plan.volumes.flatMap((v) => v.matches.map((m) => `${m.path} ${m.sha256} ${m.classification}`)).sort()).toEqual(expected);
    const verify = await coldfix(['verify', top, '--json']);
    expect(verify.code, verify.stderr).toBe(3);
    expect(execFileSync('sha256sum', [top, base], { encoding: 'utf8' })).toBe(before);
  }, 300_000);

  it('repair writes into the overlay only: qemu-img check 0, fls on the converted chain lacks exactly the C-00000291 files, base unchanged; rollback restores the overlay', async () => {
    const overlay = join(dir, 'repair-top.qcow2');
    execFileSync('qemu-img', ['create', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', overlay]);
    const sha = (p: string) => execFileSync('sha256sum', [p], { encoding: 'utf8' }).split(' ')[0];
    const baseSha = sha(base);
    const overlaySha = sha(overlay);
    const listing = (image: string) => {
      const flat = join(dir, 'flat.raw');
      execFileSync('qemu-img', ['convert', '-O', 'raw', image, flat]);
      try {
        const out = execFileSync('fls', ['-r', '-p', '-o', String(entry!.extra.windowsPartition.startLba), flat], { encoding: 'utf8', maxBuffer: 256 << 20 });
        return new Set(out.split('\n').filter((l) => l && !l.includes(' * ')).map((l) => l.split('\t')[1]));
      } finally {
        rmSync(flat, { force: true });
      }
    };
    const before = listing(overlay);
    const r = await coldfix(['repair', overlay, '--quarantine-dir', join(dir, 'quarantine')]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    execFileSync('qemu-img', ['check', '-f', 'qcow2', overlay], { stdio: 'pipe' });
    expect(sha(base)).toBe(baseSha);
    const after = listing(overlay);
    const removed = [...before].filter((p) => !after.has(p)).sort();
    const expected = entry!.extra.crowdstrike.filter((f) => /\/C-00000291[^/]*\.sys$/.test(f.path)).map((f) => f.path.slice(1)).sort();
    expect(removed).toEqual(expected);
    expect([...after].filter((p) => !before.has(p))).toEqual([]);
    const rollback = await coldfix(['rollback', overlay]);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(sha(overlay)).toBe(overlaySha);
  }, 600_000);
});
