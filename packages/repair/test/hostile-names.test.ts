/**
 * Hostile names cannot escape the quarantine folder, and keys appear nowhere.
 *
 * 1. A bare NTFS volume built with mkntfs + ntfs-3g FUSE (mounted without `windows_names`, so `\`,
 *    `:`, `*`, `?`, control characters… are all accepted in names) holds, in
 *    `Windows/System32/drivers/CrowdStrike/`, files matching `C-00000291*.sys` named with `..`,
 *    backslash traversals, control characters, a 255-character name, RTL override, reserved-looking
 *    parts, and one file with named streams (ntfs-3g `user.` xattrs) whose names are traversals,
 *    absolute paths, control characters, colliding sanitised forms. After a quarantine repair in a
 *    fresh temp root: no file appeared anywhere but inside the quarantine folder (and the journal
 *    beside the image), every quarantined path resolves inside it, no symlink, and every stream's
 *    bytes are there.
 * 2. Repairs / verify / info with a recovery password, a password and a wrong key: stdout, stderr,
 *    JSON reports and quarantine manifests never contain the secrets (48 digits with and without
 *    dashes, each 6-digit block on its own, the password in UTF-8 and UTF-16LE).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, realpath, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeNtfs } from '../../../test-images/src/ntfs/mkntfs.js';
import { withNtfsMount } from '../../../test-images/src/ntfs/mount.js';
import { applyXattrs } from '../../../test-images/src/ntfs/xattr.js';
import { buildCli, coldfix, coldfixJson } from './helpers/cli.js';
import { ensureE2eImages, type E2eImages } from './helpers/e2e-images.js';
import { fls, mustRun, scratchDir, tool } from './helpers/tools.js';

const CS = 'Windows/System32/drivers/CrowdStrike';
const ADS_FILE = 'C-00000291-..-..sys';
const HOSTILE_FILES = [
  'C-00000291-\x01\x07\x1b[2J\x7f.sys',
  'C-00000291\n..\n.sys',
  `C-00000291${'A'.repeat(241)}.sys`,
  'C-00000291:stream.sys',
  'C-00000291*?<>|".sys',
  'C-00000291\u202egnp.sys',
  'C-00000291 CON .sys',
  'C-00000291..sys',
  'C-00000291-%2e%2e%2f%2e%2e%2fetc%2fpasswd.sys',
  ADS_FILE,
  // Do not match C-00000291*.sys (trailing dot / space): must be left alone.
  'C-00000291.sys.',
  'C-00000291 .sys ',
];
/**
 * Names holding a backslash: the NTFS delete (by path) would split them, so the repair must refuse
 * before writing anything; `C-00000291\\victim.sys` would otherwise resolve to the decoy file
 * `victim.sys` in a real folder named `C-00000291`.
 */
const BACKSLASH_FILES = ['C-00000291\\..\\..\\..\\..\\tmp\\pwned.sys', 'C-00000291\\..\\..\\..\\..\\..\\..\\..\\..\\etc\\coldfix-pwned.sys', 'C-00000291\\victim.sys'];
const STREAMS = ['../../../../tmp/pwned-ads', '..\\..\\..\\evil', 'ctl\x01\x1b[0m', 'S'.repeat(200), '/abs/path', 'a:b', 'a?b', 'a*b', '..', '.'];

/** How fls prints a name: control characters (below 0x20) become `^`. */
const flsName = (name: string) => name.replace(/[\x00-\x1f]/g, '^');
const content = (name: string) => createHash('sha256').update(`content of ${name}`).digest();
/** Independent of our wildcard code: what `C-00000291*.sys` means here (case-insensitive). */
const shouldMatch = (name: string) => /^c-00000291.*\.sys$/is.test(name);

async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      out.push(p);
      if (e.isDirectory()) await visit(p);
    }
  };
  await visit(root);
  return out;
}

const helperScript = fileURLToPath(new URL('./helpers/api-child.mjs', import.meta.url));

describe('hostile names in an image', { timeout: 300_000 }, () => {
  let root: string;
  let image: string;
  let backslashImage: string;

  beforeAll(async () => {
    await buildCli();
    root = await scratchDir('hostile');
    const build = await scratchDir('hostile-build');
    image = join(root, 'hostile.ntfs');
    await makeNtfs(image, { size: 48 << 20, label: 'Hostile' });
    await withNtfsMount(image, join(build, 'mnt'), async (mnt) => {
      const dir = join(mnt, CS);
      await mkdir(dir, { recursive: true });
      await mkdir(join(mnt, 'Windows/System32/config'), { recursive: true });
      const { writeFile } = await import('node:fs/promises');
      for (const name of HOSTILE_FILES) await writeFile(join(dir, name), content(name));
      await writeFile(join(dir, 'C-00000290-00000000-00000001.sys'), content('other channel'));
      await applyXattrs(STREAMS.filter((s) => s !== '..' && s !== '.').map((s) => ({ path: join(dir, ADS_FILE), name: `user.${s}`, value: content(`stream ${s}`) })));
    });
    backslashImage = join(root, 'backslash.ntfs');
    await makeNtfs(backslashImage, { size: 16 << 20, label: 'Backslash' });
    await withNtfsMount(backslashImage, join(build, 'mnt2'), async (mnt) => {
      const dir = join(mnt, CS);
      await mkdir(join(dir, 'C-00000291'), { recursive: true });
      await mkdir(join(mnt, 'Windows/System32/config'), { recursive: true });
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(dir, 'C-00000291', 'victim.sys'), content('victim'));
      for (const name of BACKSLASH_FILES) await writeFile(join(dir, name), content(name));
      await writeFile(join(dir, 'C-00000291-00000000-00000032.sys'), content('plain'));
    });
    await rm(build, { recursive: true, force: true });
    return () => rm(root, { recursive: true, force: true });
  });

  it('names with a backslash: each matched record is deleted by file reference, exactly; the decoy its path would name survives', async () => {
    const before = new Set(await walk(root));
    const listedBefore = (await fls(backslashImage)).filter((e) => !e.deleted).map((e) => e.path);
    for (const name of BACKSLASH_FILES) expect(listedBefore, name).toContain(`${CS}/${flsName(name)}`);
    const quarantine = join(root, 'qb');
    const dry = await coldfixJson<{ result: string; volumes: { matches: unknown[] }[] }>(['repair', backslashImage, '--dry-run']);
    expect(dry.code).toBe(3);
    expect(dry.json.volumes.flatMap((v) => v.matches)).toHaveLength(BACKSLASH_FILES.length + 1);
    const { code, json, stderr } = await coldfixJson<{ result: string; messages: string[] }>(['repair', backslashImage, '--quarantine-dir', quarantine]);
    expect(code, stderr + JSON.stringify(json)).toBe(0);
    expect(json.result).toBe('repaired');
    // Nothing written outside the quarantine folder and the journal beside the image.
    const outside = (await walk(root)).filter((p) => !before.has(p) && !p.startsWith(quarantine + sep) && p !== quarantine && p !== `${backslashImage}.coldfix-journal`);
    expect(outside).toEqual([]);
    // The Sleuth Kit: every matched name gone; `C-00000291\victim.sys` (a name) gone, the file
    // `C-00000291/victim.sys` (a folder and a file: what that name's path would resolve to) intact.
    const listed = (await fls(backslashImage)).filter((e) => !e.deleted).map((e) => e.path);
    for (const name of [...BACKSLASH_FILES, 'C-00000291-00000000-00000032.sys']) expect(listed.includes(`${CS}/${flsName(name)}`), name).toBe(false);
    expect(listed).toContain(`${CS}/C-00000291/victim.sys`);
    expect((await coldfix(['verify', backslashImage])).code).toBe(0);
    const fix = await tool('ntfsfix', ['-n', backslashImage]);
    expect(fix.code, fix.stdout + fix.stderr).toBe(0);
  });

  it('the tools see the hostile names as written', async () => {
    const listed = (await fls(image)).filter((e) => !e.deleted && e.path.startsWith(`${CS}/`)).map((e) => e.path.slice(CS.length + 1));
    for (const name of HOSTILE_FILES) expect(listed).toContain(flsName(name));
    expect(listed).toContain(`${ADS_FILE}:../../../../tmp/pwned-ads`);
  });

  it('a quarantine repair writes nothing outside the quarantine folder', async () => {
    const tmpBefore = new Set(await readdir('/tmp'));
    const etcBefore = new Set(await readdir('/etc'));
    const before = new Set(await walk(root));
    const quarantine = join(root, 'q');
    const { code, json, stderr } = await coldfixJson<{ result: string; volumes: { matches: { path: string; quarantinePath: string | null }[] }[] }>([
      'repair',
      image,
      '--quarantine-dir',
      quarantine,
    ]);
    expect(code, stderr + JSON.stringify((json as { verification?: unknown }).verification) + JSON.stringify(json.volumes.map((v) => (v as { check?: unknown }).check))).toBe(0);
    expect(json.result).toBe('repaired');
    const matched = json.volumes.flatMap((v) => v.matches).map((m) => m.path.split('\\').slice(5).join('\\'));
    expect(matched.sort()).toEqual(HOSTILE_FILES.filter(shouldMatch).sort());

    // Nothing new outside: only the quarantine tree and the journal beside the image.
    const after = await walk(root);
    const outside = after.filter((p) => !before.has(p) && !p.startsWith(quarantine + sep) && p !== quarantine && p !== `${image}.coldfix-journal`);
    expect(outside).toEqual([]);
    expect([...(await readdir('/tmp'))].filter((n) => !tmpBefore.has(n) && /pwned|evil|abs/.test(n))).toEqual([]);
    expect([...(await readdir('/etc'))].filter((n) => !etcBefore.has(n))).toEqual([]);

    // Everything inside is a plain file or folder whose real path is inside the quarantine folder.
    const inside = after.filter((p) => p.startsWith(quarantine + sep));
    const realQuarantine = await realpath(quarantine);
    for (const p of inside) {
      const st = await lstat(p);
      expect(st.isSymbolicLink(), p).toBe(false);
      expect(st.isFile() || st.isDirectory(), p).toBe(true);
      const rel = relative(realQuarantine, await realpath(p));
      expect(rel.startsWith('..') || rel.startsWith(sep), p).toBe(false);
      // One level of folders per match, files inside them: nothing deeper.
      expect(relative(quarantine, p).split(sep).length).toBeLessThanOrEqual(2);
    }
    for (const m of json.volumes.flatMap((v) => v.matches)) expect(m.quarantinePath!.startsWith(quarantine + sep)).toBe(true);

    // Every stream of the ADS file is in its folder, bytes intact.
    const adsMatch = json.volumes.flatMap((v) => v.matches).find((m) => m.path.endsWith(ADS_FILE))!;
    const manifest = JSON.parse(await readFile(join(adsMatch.quarantinePath!, 'manifest.json'), 'utf8')) as { streams: { name: string; sha256: string; file: string }[] };
    const expected = ['', ...STREAMS.filter((s) => s !== '..' && s !== '.')];
    expect(manifest.streams.map((s) => s.name).sort()).toEqual(expected.sort());
    for (const s of manifest.streams) {
      const bytes = await readFile(join(adsMatch.quarantinePath!, s.file));
      const want = s.name === '' ? content(ADS_FILE) : content(`stream ${s.name}`);
      expect(Buffer.compare(bytes, want), s.name).toBe(0);
    }

    // Gone from the image per fls; the non-matching hostile names still there.
    const listed = (await fls(image)).filter((e) => !e.deleted && e.path.startsWith(`${CS}/`)).map((e) => e.path.slice(CS.length + 1));
    for (const name of HOSTILE_FILES) expect(listed.includes(flsName(name)), name).toBe(!shouldMatch(name));
    expect((await coldfix(['verify', image])).code).toBe(0);
    const fix = await tool('ntfsfix', ['-n', image]);
    expect(fix.code, fix.stdout + fix.stderr).toBe(0);
  });
});

describe('keys never appear in output, reports or manifests', { timeout: 300_000 }, () => {
  let images: E2eImages;
  let work: string;

  beforeAll(async () => {
    [images] = await Promise.all([ensureE2eImages(), buildCli()]);
    work = await scratchDir('secrets');
    return () => rm(work, { recursive: true, force: true });
  });

  it('recovery password, password and a wrong key: nothing leaks', async () => {
    const b = images.bitlocker.find((x) => x.name === 'bl-xts128-rp-gpt.img')!;
    const recovery = b.recoveryPassword!;
    const password = b.password!;
    // A well-formed wrong password (every block a multiple of 11) and one with a typo.
    const wrong = '111111-222222-333333-444444-555555-666666-707707-616616';
    const typo = '123453-234564-345675-456786-567897-678908-789910-891011';
    const image = join(work, 'disk.img');
    await mustRun('cp', ['--sparse=always', b.image, image]);
    const captured: string[] = [];
    const api = async (op: string, keys: unknown, extra: Record<string, unknown> = {}) => {
      const r = await tool(process.execPath, [helperScript, JSON.stringify({ op, image, keys, ...extra })]);
      captured.push(r.stdout, r.stderr);
      return r;
    };
    expect((await api('repair', { recoveryPasswords: [recovery] }, { dryRun: true })).code).toBe(3);
    expect((await api('verify', { passwords: [password] })).code).toBe(3);
    const wrongRun = await api('repair', { recoveryPasswords: [wrong], passwords: ['not-the-password'] }, { dryRun: true });
    expect(wrongRun.code).toBe(2);
    expect(wrongRun.stderr).toContain(b.volumeGuid);
    for (const p of b.protectors) expect(wrongRun.stderr).toContain(p.guid);
    expect((await api('verify', { recoveryPasswords: [typo] })).code).toBe(2);
    const repaired = await api('repair', { recoveryPasswords: [recovery], passwords: [password] }, { quarantineDir: join(work, 'q') });
    expect(repaired.code, repaired.stderr).toBe(0);
    expect((await api('verify', { recoveryPasswords: [recovery] })).code).toBe(0);

    // The CLI: info, and the key options once they are wired (secrets through argv, env and stdin).
    captured.push(...Object.values(await coldfix(['info', image, '--json'])));
    // Always run (the options are part of the CLI): each run's exit code shows the secret was really used.
    const help = await coldfix(['repair', '--help']);
    expect(help.stdout).toContain('--recovery-password');
    expect(help.stdout).toContain('--password');
    const runs = [
      await coldfix(['verify', image, '--recovery-password', recovery]),
      await coldfix(['verify', image, '--password', password, '--json']),
      await coldfix(['repair', image, '--dry-run', '--json', '--recovery-password', wrong]),
      await coldfix(['info', image, '--json', '--recovery-password', 'env:CF_SECRET'], { env: { ...process.env, CF_SECRET: recovery } }),
      await coldfix(['verify', image, '--password', '-'], { input: `${password}\n` }),
    ];
    expect(runs.map((r) => r.code), runs.map((r) => r.stderr).join('\n')).toEqual([0, 0, 2, 0, 0]);
    for (const r of runs) captured.push(r.stdout, r.stderr);
    for (const file of await walk(join(work, 'q'))) {
      if ((await lstat(file)).isFile()) captured.push((await readFile(file)).toString('latin1'));
    }

    const text = captured.join('\n');
    expect(text.length).toBeGreaterThan(1000);
    const secrets = [recovery, wrong, typo].flatMap((rp) => [rp, rp.replace(/-/g, '')]);
    for (const s of secrets) expect(text.includes(s), 'a recovery password leaked').toBe(false);
    for (const rp of [recovery, wrong, typo]) {
      for (const block of rp.split('-')) expect(new RegExp(`(?<![0-9])${block}(?![0-9])`).test(text), `block ${block} leaked`).toBe(false);
    }
    expect(text.includes(password)).toBe(false);
    expect(text.includes(Buffer.from(password, 'utf16le').toString('latin1'))).toBe(false);
    expect(text.includes('not-the-password')).toBe(false);
  });
});
