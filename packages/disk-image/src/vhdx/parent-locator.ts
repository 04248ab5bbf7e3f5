/**
 * Decodes the VHDX parent locator item into its key/value pairs, checking
 * every offset against the item's bounds. Only the VHDX locator type is known.
 *
 * References: MS-VHDX §2.6.2.6 "Parent Locator", §2.6.2.6.3 "VHDX Parent Locator".
 */
import { decodeUtf16le } from '@coldfix/io';
import { NULL_GUID_TEXT, VHDX_PARENT_LOCATOR_TYPE_GUID } from './guids.js';
import { VHDX_PARENT_LOCATOR_ENTRY_SIZE, VHDX_PARENT_LOCATOR_HEADER_SIZE, VhdxParentLocatorEntryStruct, VhdxParentLocatorHeaderStruct } from './layout/parent-locator.js';
import { vhdxCorrupt, vhdxUnsupported } from './vhdx-errors.js';

export interface VhdxParentLocator {
  locatorType: string;
  /** Key → value, in the order stored. */
  entries: Record<string, string>;
  /** The parent's DataWriteGuid, lower case without braces. */
  parentLinkage: string;
  parentLinkage2?: string;
}

/** `item` is the whole locator item; `itemOffset` its file offset (for messages). */
export function decodeParentLocator(item: Uint8Array, itemOffset: number): VhdxParentLocator {
  const head = VhdxParentLocatorHeaderStruct.decode(item);
  if (head.locatorType !== VHDX_PARENT_LOCATOR_TYPE_GUID) {
    throw vhdxUnsupported('VHDX_PARENT_LOCATOR_TYPE', `VHDX parent locator type ${head.locatorType} is not the VHDX type ${VHDX_PARENT_LOCATOR_TYPE_GUID}`, itemOffset, { locatorType: head.locatorType });
  }
  if (VHDX_PARENT_LOCATOR_HEADER_SIZE + head.keyValueCount * VHDX_PARENT_LOCATOR_ENTRY_SIZE > item.length) {
    throw vhdxCorrupt('VHDX_PARENT_LOCATOR_COUNT', `VHDX parent locator: ${head.keyValueCount} entries do not fit its ${item.length} bytes`, itemOffset + 18);
  }
  const entries: Record<string, string> = {};
  const text = (offset: number, length: number, what: string, at: number): string => {
    if (offset === 0 || length === 0 || length % 2 !== 0 || offset + length > item.length) {
      throw vhdxCorrupt('VHDX_PARENT_LOCATOR_ENTRY', `VHDX parent locator entry: ${what} [${offset}, +${length}) outside the ${item.length}-byte item`, itemOffset + at);
    }
    return decodeUtf16le(item.subarray(offset, offset + length));
  };
  for (let i = 0; i < head.keyValueCount; i++) {
    const at = VHDX_PARENT_LOCATOR_HEADER_SIZE + i * VHDX_PARENT_LOCATOR_ENTRY_SIZE;
    const e = VhdxParentLocatorEntryStruct.decode(item, at);
    entries[text(e.keyOffset, e.keyLength, 'key', at)] = text(e.valueOffset, e.valueLength, 'value', at);
  }
  const linkage = normaliseGuid(entries.parent_linkage);
  if (!linkage) {
    throw vhdxCorrupt('VHDX_PARENT_LINKAGE', `VHDX parent locator: parent_linkage ${JSON.stringify(entries.parent_linkage ?? null)} is not a GUID`, itemOffset);
  }
  const linkage2 = normaliseGuid(entries.parent_linkage2);
  // An all-zero parent_linkage2 (Windows writes one) names no parent.
  const useLinkage2 = linkage2 && linkage2 !== NULL_GUID_TEXT;
  return { locatorType: head.locatorType, entries, parentLinkage: linkage, ...(useLinkage2 ? { parentLinkage2: linkage2 } : {}) };
}

function normaliseGuid(value: string | undefined): string | undefined {
  const m = value && /^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$/.exec(value.trim());
  return m ? m[1].toLowerCase() : undefined;
}
