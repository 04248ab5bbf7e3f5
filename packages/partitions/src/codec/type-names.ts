/**
 * Human names of partition types. The vocabulary is util-linux's
 * (`sfdisk --label gpt -T`, `sfdisk --label dos -T`, util-linux 2.38) so that
 * our output reads like the tool forensic examiners compare against; the
 * integration test checks every name here against `sfdisk -T`.
 * GPT GUIDs: UEFI 2.10 Table 5.8 and the vendors' published lists
 * (Microsoft "PARTITION_INFORMATION_GPT", systemd Discoverable Partitions Spec).
 */

/** Lowercase type GUID → name. */
export const GPT_TYPE_NAMES: Readonly<Record<string, string>> = {
  'c12a7328-f81f-11d2-ba4b-00a0c93ec93b': 'EFI System',
  '024dee41-33e7-11d3-9d69-0008c781f39f': 'MBR partition scheme',
  '21686148-6449-6e6f-744e-656564454649': 'BIOS boot',
  'e3c9e316-0b5c-4db8-817d-f92df00215ae': 'Microsoft reserved',
  'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7': 'Microsoft basic data',
  '5808c8aa-7e8f-42e0-85d2-e1e90434cfb3': 'Microsoft LDM metadata',
  'af9b60a0-1431-4f62-bc68-3311714a69ad': 'Microsoft LDM data',
  'de94bba4-06d1-4d40-a16a-bfd50179d6ac': 'Windows recovery environment',
  'e75caf8f-f680-4cee-afa3-b001e56efc2d': 'Microsoft Storage Spaces',
  '0657fd6d-a4ab-43c4-84e5-0933c84b4f4f': 'Linux swap',
  '0fc63daf-8483-4772-8e79-3d69d8477de4': 'Linux filesystem',
  '44479540-f297-41b2-9af7-d131d5f0458a': 'Linux root (x86)',
  '4f68bce3-e8cd-4db1-96e7-fbcaf984b709': 'Linux root (x86-64)',
  'b921b045-1df0-41c3-af44-4c6f280d3fae': 'Linux root (ARM-64)',
  '8da63339-0007-60c0-c436-083ac8230908': 'Linux reserved',
  '933ac7e1-2eb4-4f13-b844-0e14e2aef915': 'Linux home',
  'a19d880f-05fc-4d3b-a006-743f0f84911e': 'Linux RAID',
  'e6d6d379-f507-44c2-a23c-238f2a3df928': 'Linux LVM',
  'bc13c2ff-59e6-4262-a352-b275fd6f7172': 'Linux extended boot',
  '516e7cb4-6ecf-11d6-8ff8-00022d09712b': 'FreeBSD data',
  '83bd6b9d-7f41-11dc-be0b-001560b84f0f': 'FreeBSD boot',
  '516e7cb5-6ecf-11d6-8ff8-00022d09712b': 'FreeBSD swap',
  '516e7cb6-6ecf-11d6-8ff8-00022d09712b': 'FreeBSD UFS',
  '516e7cba-6ecf-11d6-8ff8-00022d09712b': 'FreeBSD ZFS',
  '48465300-0000-11aa-aa11-00306543ecac': 'Apple HFS/HFS+',
  '7c3457ef-0000-11aa-aa11-00306543ecac': 'Apple APFS',
  '426f6f74-0000-11aa-aa11-00306543ecac': 'Apple boot',
  '53746f72-6167-11aa-aa11-00306543ecac': 'Apple Core storage',
  'aa31e02a-400f-11db-9590-000c2911d1b8': 'VMware VMFS',
  '9d275380-40ad-11db-bf97-000c2911d1b8': 'VMware Diagnostic',
  '381cfccc-7288-11e0-92ee-000c2911d0b2': 'VMware Virtual SAN',
  '9198effc-31c0-11db-8f78-000c2911d1b8': 'VMware Reserved',
  '6a898cc3-1dd2-11b2-99a6-080020736631': 'Solaris /usr & Apple ZFS',
  'fe3a2a5d-4f32-41a7-b725-accc3285a309': 'ChromeOS kernel',
  '3cb8e202-3b7e-47dd-8a3c-7ff2a13cfcec': 'ChromeOS root fs',
};

/** MBR partition type → name (without the `(0xNN)` suffix). */
export const MBR_TYPE_NAMES: Readonly<Record<number, string>> = {
  0x01: 'FAT12',
  0x04: 'FAT16 <32M',
  0x05: 'Extended',
  0x06: 'FAT16',
  0x07: 'HPFS/NTFS/exFAT',
  0x0b: 'W95 FAT32',
  0x0c: 'W95 FAT32 (LBA)',
  0x0e: 'W95 FAT16 (LBA)',
  0x0f: "W95 Ext'd (LBA)",
  0x11: 'Hidden FAT12',
  0x12: 'Compaq diagnostics',
  0x14: 'Hidden FAT16 <32M',
  0x16: 'Hidden FAT16',
  0x17: 'Hidden HPFS/NTFS',
  0x1b: 'Hidden W95 FAT32',
  0x1c: 'Hidden W95 FAT32 (LBA)',
  0x1e: 'Hidden W95 FAT16 (LBA)',
  0x27: 'Hidden NTFS WinRE',
  0x42: 'SFS',
  0x82: 'Linux swap / Solaris',
  0x83: 'Linux',
  0x84: 'OS/2 hidden or Intel hibernation',
  0x85: 'Linux extended',
  0x86: 'NTFS volume set',
  0x87: 'NTFS volume set',
  0x8e: 'Linux LVM',
  0xa5: 'FreeBSD',
  0xa6: 'OpenBSD',
  0xa9: 'NetBSD',
  0xaf: 'HFS / HFS+',
  0xde: 'Dell Utility',
  0xee: 'GPT',
  0xef: 'EFI (FAT-12/16/32)',
  0xfb: 'VMware VMFS',
  0xfc: 'VMware VMKCORE',
  0xfd: 'Linux raid autodetect',
};

/** Extended-partition containers (UEFI 2.10 §5.2.1 lists 0x05 and 0x0F; Linux also 0x85). */
export const MBR_EXTENDED_TYPES: ReadonlySet<number> = new Set([0x05, 0x0f, 0x85]);
/** GPT protective MBR type (UEFI 2.10 §5.2.3). */
export const MBR_TYPE_GPT_PROTECTIVE = 0xee;

/** `0x07` style, lowercase. */
export function formatMbrType(osType: number): string {
  return `0x${osType.toString(16).padStart(2, '0')}`;
}

export function mbrTypeName(osType: number): string {
  return `${MBR_TYPE_NAMES[osType] ?? 'Unknown'} (${formatMbrType(osType)})`;
}

export function gptTypeName(typeGuid: string): string {
  return GPT_TYPE_NAMES[typeGuid.toLowerCase()] ?? 'Unknown';
}
