/**
 * The structural check of a VHD the repair wrote: libvhdi's `vhdiinfo` must open it and name its disk
 * type, and the spec-level check of packages/disk-image/test/helpers.ts (footer and header checksums,
 * footer copy, BAT blocks inside the file, not overlapping) must find nothing. `qemu-img check` is not
 * used: it does not check the vpc format at all (exit 63, "does not support checks").
 */
import { expect } from 'vitest';
import { checkVhdStructure } from '../../../disk-image/test/helpers.js';
import { tool } from './tools.js';

export async function expectSoundVhd(image: string, diskType: 'Fixed' | 'Dynamic' | 'Differential'): Promise<void> {
  const info = await tool('vhdiinfo', [image]);
  expect(info.code, `vhdiinfo ${image}: ${info.stderr}`).toBe(0);
  expect(info.stdout).toMatch(new RegExp(`Disk type\\s*:\\s*${diskType}`));
  expect(checkVhdStructure(image)).toEqual([]);
}
