/** The scenario registry, in build order (dependencies first is not required: the builder sorts). */
import type { Scenario } from '../scenario.js';
import { ntfsBasic } from './ntfs-basic.js';

export const scenarios: Scenario[] = [ntfsBasic];
