/**
 * The one rule, for every part of the package, by which a file's attributes are found: a base
 * record without an $ATTRIBUTE_LIST holds them all; with one, the list is authoritative. Each list
 * entry (type, name, attribute id, record) names exactly one attribute record, in the base record
 * or in an extension record, and any attribute type may live in an extension record: $FILE_NAME,
 * $DATA and named streams, $INDEX_ROOT / $INDEX_ALLOCATION / $BITMAP, $REPARSE_POINT, $MFT's own
 * $DATA. Attributes the list does not name are not the file's (a stale copy left in an extension
 * record), except base-record attributes the list forgot, which are kept (the list itself among them).
 *
 * The reader (NtfsVolume: decoded attributes), the checker, the write gates and the writer
 * (RecordStore: attributes with their byte offsets) all resolve through `resolveAttributeList`;
 * they differ only in how a record's attributes are listed.
 *
 * References: ntfs-3g attrib.c ntfs_attr_lookup / ntfs_external_attr_find, layout.h ATTR_LIST_ENTRY;
 * libfsntfs "The attribute list attribute"; TSK ntfs.c ntfs_proc_attrlist. Read, not copied.
 *
 *   base record 66: $SI, $ATTRIBUTE_LIST, $FILE_NAME x6
 *   list: (0x10, id 0, rec 66) (0x30, id 2, rec 66) ... (0x30, id 0, rec 68) ... (0x80, id 0, rec 70)
 *   -> attributes: each entry's record, in list order, then base attributes the list does not name
 */
import { limit, Limits } from '../errors.js';
import type { AttributeListEntry } from '../layout/attribute-list-entry.js';

/** What the resolver needs to know of an attribute record, whatever the caller's view of it. */
export interface ListableAttribute {
  type: number;
  name: string;
}

/** One attribute of a file and the MFT record holding it. */
export interface PlacedAttribute<A> {
  record: number;
  attr: A;
}

export interface ResolveHooks<A> {
  /** Attribute id of an attribute record (the list entry's key, with type and name). */
  idOf(attr: A): number;
  /** The attributes of extension record `n` and the base record it names (throws when unreadable). */
  loadExtension(n: number): Promise<{ attributes: A[]; baseRecord: number }>;
  /** A problem the caller decides about: the reader notes it, the writer refuses. */
  problem(message: string, kind: 'extension-unreadable' | 'extension-base' | 'entry-missing'): void;
}

/**
 * Resolves base record `base`'s attribute list `entries` into the file's attributes (see the module
 * comment). An extension record that cannot be read is reported and contributes nothing.
 * @throws LimitExceededError NTFS_ATTRLIST_EXTENSIONS above Limits.maxExtensionRecords extension records.
 */
export async function resolveAttributeList<A extends ListableAttribute>(
  base: number, baseAttributes: A[], entries: AttributeListEntry[], hooks: ResolveHooks<A>,
): Promise<{ attributes: PlacedAttribute<A>[]; extensionRecords: number[] }> {
  const extensions = new Map<number, A[]>();
  const out: PlacedAttribute<A>[] = [];
  const seen = new Set<A>();
  for (const entry of entries) {
    let attributes = baseAttributes;
    if (entry.recordNumber !== base) {
      let ext = extensions.get(entry.recordNumber);
      if (!ext) {
        if (extensions.size >= Limits.maxExtensionRecords) throw limit('NTFS_ATTRLIST_EXTENSIONS', `record ${base} lists more than ${Limits.maxExtensionRecords} extension records`);
        try {
          const loaded = await hooks.loadExtension(entry.recordNumber);
          if (loaded.baseRecord !== base) hooks.problem(`extension record ${entry.recordNumber} names base ${loaded.baseRecord}, not ${base}`, 'extension-base');
          ext = loaded.attributes;
        } catch (error) {
          hooks.problem(`record ${base}: extension record ${entry.recordNumber}: ${(error as Error).message}`, 'extension-unreadable');
          ext = [];
        }
        extensions.set(entry.recordNumber, ext);
      }
      attributes = ext;
    }
    const match = attributes.find((a) => a.type === entry.type && hooks.idOf(a) === entry.attributeId && a.name === entry.name);
    if (!match) {
      hooks.problem(`record ${base}: attribute list entry (type 0x${entry.type.toString(16)}, id ${entry.attributeId}) not found in record ${entry.recordNumber}`, 'entry-missing');
      continue;
    }
    if (seen.has(match)) continue;
    seen.add(match);
    out.push({ record: entry.recordNumber, attr: match });
  }
  for (const a of baseAttributes) if (!seen.has(a)) out.push({ record: base, attr: a });
  return { attributes: out, extensionRecords: [...extensions.keys()] };
}
