import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { addKeyOptions, collectKeys, parseKeysFile } from '../src/key-options.js';

const dir = mkdtempSync(join(tmpdir(), 'coldfix-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RP = '284867-596541-514998-422114-660297-261613-215424-199408';
const RP2 = '517506-503998-044583-576191-587004-635965-501270-087802';
const G1 = '3c116b76-c67b-484e-b439-ce2ed68b561e';
const G2 = 'b59c92d8-b1b1-485e-a8ff-b7eafba260f3';
const noStdin = { env: {}, readStdin: async () => { throw new Error('stdin not expected'); } };

describe('addKeyOptions', () => {
  it('adds repeatable --recovery-password, --password, --bek, --keys', () => {
    const cmd = addKeyOptions(new Command('x')).exitOverride();
    cmd.parse(['--recovery-password', RP, '--recovery-password', RP2, '--password', 'a', '--bek', 'k.bek', '--keys', 'f.csv'], { from: 'user' });
    expect(cmd.opts()).toEqual({ recoveryPassword: [RP, RP2], password: ['a'], bek: ['k.bek'], keys: ['f.csv'] });
  });
});

describe('collectKeys', () => {
  it('reads secrets from stdin ("-") and env:NAME, and the COLDFIX_* variables', async () => {
    const keys = await collectKeys(
      { recoveryPassword: ['-'], password: ['env:MY_PW'] },
      { env: { MY_PW: 'pw-from-env', COLDFIX_RECOVERY_PASSWORD: RP2, COLDFIX_PASSWORD: 'other' }, readStdin: async () => `${RP}\n` },
    );
    expect(keys.recoveryPasswords).toEqual([RP, RP2]);
    expect(keys.passwords).toEqual(['pw-from-env', 'other']);
  });

  it('names a missing variable, never a value; refuses stdin twice', async () => {
    const error = await collectKeys({ password: ['env:NOPE'] }, noStdin).catch((e) => e);
    expect(error.message).toContain('NOPE');
    const twice = await collectKeys({ password: ['-'], recoveryPassword: ['-'] }, { env: {}, readStdin: async () => 'secret-value' }).catch((e) => e);
    expect(twice.code).toBe('CLI_STDIN_TWICE');
    expect(twice.message).not.toContain('secret-value');
  });

  it('reads a .BEK file and searches a folder for *.BEK', async () => {
    const folder = join(dir, 'beks');
    mkdirSync(folder);
    writeFileSync(join(folder, 'A.BEK'), Buffer.from([1, 2, 3]));
    writeFileSync(join(folder, 'b.bek'), Buffer.from([4]));
    writeFileSync(join(folder, 'notes.txt'), 'x');
    writeFileSync(join(dir, 'single.key'), Buffer.from([9]));
    const keys = await collectKeys({ bek: [folder, join(dir, 'single.key')] }, noStdin);
    expect(keys.startupKeys!.map((k) => k.name)).toEqual(['A.BEK', 'b.bek', 'single.key']);
    const missing = await collectKeys({ bek: [join(dir, 'nope.bek')] }, noStdin).catch((e) => e);
    expect(missing.kind).toBe('not-found');
  });

  it('parses keys files: CSV escrow exports, JSON objects and arrays, Graph lists, Windows recovery text', async () => {
    const csvPath = join(dir, 'keys.csv');
    writeFileSync(csvPath, `\uFEFFComputer,"Key ID",Recovery Key\r\nPC1,{${G1.toUpperCase()}},"${RP}"\r\nPC2,"${G2}",${RP2}\r\n`);
    const keys = await collectKeys({ keys: [csvPath] }, noStdin);
    expect(keys.keyMap).toEqual(new Map([[G1, RP], [G2, RP2]]));

    expect(parseKeysFile(`KeyId;RecoveryPassword\n${G1};${RP}\n`, 'x')).toEqual(new Map([[G1, RP]]));
    expect(parseKeysFile(`key_id\trecovery_key\n${G1}\t${RP}\n`, 'x')).toEqual(new Map([[G1, RP]]));
    expect(parseKeysFile(JSON.stringify({ [`{${G1}}`]: RP, [G2.toUpperCase()]: RP2 }), 'x')).toEqual(new Map([[G1, RP], [G2, RP2]]));
    expect(parseKeysFile(JSON.stringify([{ KeyId: G1, RecoveryPassword: RP }, { keyID: G2, recoveryKey: RP2 }]), 'x')).toEqual(new Map([[G1, RP], [G2, RP2]]));
    expect(parseKeysFile(JSON.stringify({ value: [{ id: G1, key: RP, volumeType: 1 }] }), 'x')).toEqual(new Map([[G1, RP]]));
    expect(parseKeysFile(JSON.stringify([[G1, RP]]), 'x')).toEqual(new Map([[G1, RP]]));
    const windowsText = `BitLocker Drive Encryption recovery key\r\n\r\nTo verify that this is the correct recovery key, compare the start of the following identifier with the identifier value displayed on your PC.\r\n\r\nIdentifier:\r\n\r\n\t${G1.toUpperCase()}\r\n\r\nRecovery Key:\r\n\r\n\t${RP}\r\n`;
    expect(parseKeysFile(windowsText, 'x')).toEqual(new Map([[G1, RP]]));
  });

  it('an unreadable keys file is a typed error that quotes nothing from it', () => {
    let error: unknown;
    try { parseKeysFile(`hello,world\n${RP},nothing\n`, 'bad.csv'); } catch (e) { error = e; }
    expect((error as { code: string }).code).toBe('CLI_KEYS_FILE_UNREADABLE');
    expect((error as Error).message).not.toContain(RP);
  });
});
