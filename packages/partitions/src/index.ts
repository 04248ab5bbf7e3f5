/**
 * @coldfix/partitions: MBR (with extended/logical partitions) and GPT
 * (CRC-checked, backup fallback, 512 and 4096-byte sectors), and a probe of
 * what each partition holds. Imports only @coldfix/io.
 */
export type { PartitionScheme, ContentKind, PartitionEntry, PartitionTable, ReadPartitionTableOptions } from './types.js';
export { readPartitionTable, openPartition } from './partition-table.js';
export { probeContent } from './probe.js';
export { classifyBootSector, isFatBootSector } from './codec/boot-sector.js';
export { decodeGptHeader, decodeGptName, GPT_LIMITS } from './codec/gpt.js';
export { MBR_LIMITS } from './mbr.js';
export { GPT_TYPE_NAMES, MBR_TYPE_NAMES, gptTypeName, mbrTypeName } from './codec/type-names.js';
