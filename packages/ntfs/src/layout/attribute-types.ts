/** Attribute type codes ($AttrDef of NTFS 3.1; libfsntfs "Attribute types"). */
export const AttributeType = {
  standardInformation: 0x10,
  attributeList: 0x20,
  fileName: 0x30,
  objectId: 0x40,
  securityDescriptor: 0x50,
  volumeName: 0x60,
  volumeInformation: 0x70,
  data: 0x80,
  indexRoot: 0x90,
  indexAllocation: 0xa0,
  bitmap: 0xb0,
  reparsePoint: 0xc0,
  eaInformation: 0xd0,
  ea: 0xe0,
  propertySet: 0xf0,
  loggedUtilityStream: 0x100,
  end: 0xffffffff,
} as const;

const names: Record<number, string> = {
  0x10: '$STANDARD_INFORMATION',
  0x20: '$ATTRIBUTE_LIST',
  0x30: '$FILE_NAME',
  0x40: '$OBJECT_ID',
  0x50: '$SECURITY_DESCRIPTOR',
  0x60: '$VOLUME_NAME',
  0x70: '$VOLUME_INFORMATION',
  0x80: '$DATA',
  0x90: '$INDEX_ROOT',
  0xa0: '$INDEX_ALLOCATION',
  0xb0: '$BITMAP',
  0xc0: '$REPARSE_POINT',
  0xd0: '$EA_INFORMATION',
  0xe0: '$EA',
  0xf0: '$PROPERTY_SET',
  0x100: '$LOGGED_UTILITY_STREAM',
};

export function attributeTypeName(type: number): string {
  return names[type] ?? `0x${type.toString(16)}`;
}

/** Attribute header flags. */
export const AttributeFlag = {
  compressionMask: 0x00ff,
  encrypted: 0x4000,
  sparse: 0x8000,
} as const;

/** $FILE_NAME namespaces. */
export const Namespace = { posix: 0, win32: 1, dos: 2, win32AndDos: 3 } as const;
export type NamespaceName = 'posix' | 'win32' | 'dos' | 'win32+dos';
export function namespaceName(value: number): NamespaceName {
  return (['posix', 'win32', 'dos', 'win32+dos'] as const)[value] ?? 'posix';
}
/** The on-disk value of a namespace name (the inverse of `namespaceName`). */
export function namespaceCode(name: string): number {
  return name === 'posix' ? 0 : name === 'win32' ? 1 : name === 'dos' ? 2 : 3;
}

/** File attribute flags ($STANDARD_INFORMATION / $FILE_NAME). */
export const FileAttribute = {
  readOnly: 0x1,
  hidden: 0x2,
  system: 0x4,
  directory: 0x10,
  archive: 0x20,
  device: 0x40,
  normal: 0x80,
  temporary: 0x100,
  sparse: 0x200,
  reparsePoint: 0x400,
  compressed: 0x800,
  offline: 0x1000,
  notIndexed: 0x2000,
  encrypted: 0x4000,
  /** $FILE_NAME only: the file is a directory (has $I30). */
  fileNameIndexPresent: 0x10000000,
  viewIndexPresent: 0x20000000,
} as const;
