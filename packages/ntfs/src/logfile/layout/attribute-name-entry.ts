/**
 * Attribute names dump entry (ATTR_NAME_ENTRY): the open attribute table
 * offset it names, the name's length in bytes, then the UTF-16LE name and a
 * terminating NUL. The dump ends at an entry with index 0 and length 0.
 * Sources: ntfs3 fslog.c `struct ATTR_NAME_ENTRY`, dfir_ntfs AttributeNameEntry.
 */
import { defineStruct } from '@coldfix/io';

export const AttributeNameEntryStruct = defineStruct('AttributeNameEntry', 4, {
  openAttributeOffset: { offset: 0, type: 'u16le' },
  nameLength: { offset: 2, type: 'u16le' },
});
