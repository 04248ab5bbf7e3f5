/**
 * qcow2 test helpers: which oracle tools exist, the virtual disk's SHA-256 as
 * qemu (`qemu-img convert -O raw`) and libqcow (`qcowmount`) see it, and the
 * catalog's GPT disk used as content.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir as imagesCacheDir } from '@coldfix/test-images';
import { cacheDir, run } from './helpers.js';

export function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A missing oracle skips the test, except in the official run (COLDFIX_REQUIRE_ORACLES=1), where it fails. */
export const skipWithout = (ok: boolean): boolean => !ok && process.env.COLDFIX_REQUIRE_ORACLES !== '1';

/** The catalog's raw GPT disk (EFI FAT32, MSR, NTFS data, NTFS recovery: a Windows-like layout). */
export const CATALOG_GPT = join(imagesCacheDir(), 'raw-gpt', 'raw-gpt.img');

/** SHA-256 of a file, streamed by sha256sum (images here are hundreds of MiB). */
export function sha256sumFile(path: string): string {
  return run('sha256sum', [path]).split(' ')[0];
}

/** SHA-256 of the virtual disk as qemu reads it (`qemu-img convert [extra] -O raw`). */
export function qemuSha(image: string, extra: string[] = []): string {
  const dir = mkdtempSync(join(cacheDir(), 'qemu-raw-'));
  try {
    const out = join(dir, 'disk.raw');
    run('qemu-img', ['convert', ...extra, '-O', 'raw', image, out]);
    return sha256sumFile(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** SHA-256 of the virtual disk as libqcow reads it (qcowmount exposes it as qcow1). */
export function libqcowSha(image: string): string {
  const mnt = mkdtempSync(join(cacheDir(), 'qcowmnt-'));
  try {
    run('qcowmount', [image, mnt]);
    try {
      const name = readdirSync(mnt).find((n) => /^qcow\d+$/.test(n));
      if (!name) throw new Error(`qcowmount exposed no qcowN file for ${image}`);
      return sha256sumFile(join(mnt, name));
    } finally {
      run('umount', [mnt]);
    }
  } finally {
    rmSync(mnt, { recursive: true, force: true });
  }
}

export function qemuIo(image: string, commands: string[], extra: string[] = []): void {
  run('qemu-io', [...extra, ...commands.flatMap((c) => ['-c', c]), image]);
}

export const haveCatalogGpt = existsSync(CATALOG_GPT);
