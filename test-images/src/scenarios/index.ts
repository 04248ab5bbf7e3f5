/** The scenario registry (the builder orders dependencies itself). */
import type { Scenario } from '../scenario.js';
import { rawGpt, rawMbr } from './disks.js';
import { ntfsBasic } from './ntfs-basic.js';
import { ntfsBigdir } from './ntfs-bigdir.js';
import { ntfsDirty, ntfsHibernated, ntfsResumed } from './ntfs-gates.js';
import { ntfsLarge } from './ntfs-large.js';
import { ntfsWindowsLarge } from './ntfs-windows-large.js';
import { vhdScenario } from './vhd.js';
import { windowsSample } from './windows-sample.js';
import { windowsSampleBitlocker } from './windows-sample-bitlocker.js';

export const scenarios: Scenario[] = [
  ntfsBasic,
  ntfsBigdir,
  rawMbr,
  rawGpt,
  vhdScenario('vhd-fixed-gpt', 'raw-gpt', 'fixed'),
  vhdScenario('vhd-dynamic-gpt', 'raw-gpt', 'dynamic'),
  vhdScenario('vhd-dynamic-mbr', 'raw-mbr', 'dynamic'),
  windowsSample,
  vhdScenario('windows-sample-vhd', 'windows-sample', 'dynamic'),
  windowsSampleBitlocker,
  ntfsDirty,
  ntfsHibernated,
  ntfsResumed,
  ntfsLarge,
  ntfsWindowsLarge,
];
