/**
 * Unlocking: one method per protector kind (as dissect.fve does), each turning
 * the user's key material into the 32-byte key that AES-CCM-unwraps the VMK;
 * the VMK then unwraps the FVEK.
 *
 *   clear key         key stored in the VMK entry itself (suspended volumes)
 *   startup key       32-byte key from a .BEK whose GUID names the protector
 *   recovery password 48 digits → 16-byte key → SHA-256 → stretch(salt)
 *   password          UTF-16LE → SHA-256 → SHA-256 → stretch(salt)
 *   TPM               not usable offline (listed only)
 *
 * References: libbde format doc §5 "Key protectors" and §6 "Deriving keys";
 * dislocker `accesses/*` (behaviour only).
 * Secrets never reach an error message: errors name protector GUIDs and types.
 */
import { CorruptError, UnlockError, isColdfixError, type ByteSource } from '@coldfix/io';
import { unwrapAesCcm } from './codec/aes-ccm.js';
import { decodeAesCcmValue, decodeEntries, decodeKeyValue, decodeStretchKeyValue, type MetadataEntry } from './codec/entries.js';
import { looksLikeRecoveryPassword, parseRecoveryPassword } from './codec/recovery-password.js';
import { passwordInitialHash, recoveryKeyInitialHash } from './codec/stretch.js';
import { stretchKeyCached } from './codec/stretch-cache.js';
import { parseBekFile, type StartupKey } from './bek.js';
import { buildInfo, describeProtector, vmkEntries, type BitLockerInfo, type BitLockerProtector } from './info.js';
import { EntryType, ValueType } from './layout/metadata-entry.js';
import { readFveMetadata, type FveBlock, type FveMetadata } from './metadata.js';
import { openBitLockerVolume, type BitLockerVolume } from './volume.js';

export interface KeyMaterial {
  recoveryPasswords?: string[];
  passwords?: string[];
  /** .BEK file contents; `name` is used in messages only. */
  startupKeys?: { name: string; bytes: Uint8Array }[];
  /** Protector GUID or volume GUID (lowercase) → recovery password (from an escrow export). */
  keyMap?: Map<string, string>;
}

interface Attempt {
  /** Order of trial: cheap and specific first (0 clear key, 1 matched key file, 2 escrowed key, 3 recovery password, 4 unmatched key file, 5 password). */
  rank: number;
  protector: BitLockerProtector;
  entry: MetadataEntry;
  /** Derives the VMK-unwrapping key (may be slow: the stretch). */
  key: () => Uint8Array;
}

function aesCcmChildren(entry: MetadataEntry): MetadataEntry[] {
  // Direct AES-CCM children first (the VMK itself), then nested ones.
  const direct = entry.children.filter((c) => c.valueType === ValueType.aesCcmEncryptedKey);
  const nested = entry.children.flatMap((c) => c.children.filter((g) => g.valueType === ValueType.aesCcmEncryptedKey));
  return [...direct, ...nested];
}

/** Unwraps an AES-CCM entry and decodes the key entry inside. Returns null on MAC failure. */
function unwrapKeyEntry(entry: MetadataEntry, key: Uint8Array): { method: number; key: Uint8Array } | null {
  const { nonce, mac, payload } = decodeAesCcmValue(entry);
  const plain = unwrapAesCcm(key, nonce, mac, payload);
  if (!plain) return null;
  try {
    const inner = decodeEntries(plain, 0, plain.length)[0];
    if (inner && inner.valueType === ValueType.key) return decodeKeyValue(inner);
  } catch (error) {
    if (!isColdfixError(error)) throw error;
  }
  // Some writers store the bare key without an entry header.
  return plain.length >= 12 ? { method: plain[8] | (plain[9] << 8), key: plain.subarray(12) } : null;
}

function unwrapVmk(entry: MetadataEntry, key: Uint8Array): Uint8Array | null {
  for (const ccm of aesCcmChildren(entry)) {
    const vmk = unwrapKeyEntry(ccm, key);
    if (vmk && vmk.key.length >= 32) return new Uint8Array(vmk.key.subarray(0, 32));
  }
  return null;
}

function stretchSalt(entry: MetadataEntry): Uint8Array | undefined {
  const s = entry.children.find((c) => c.valueType === ValueType.stretchKey);
  return s ? decodeStretchKeyValue(s).salt : undefined;
}

/** The FVEK: entry type 3 (AES-CCM) first, then any other top-level AES-CCM entry that decrypts to a sector-cipher key. */
function unwrapFvek(blocks: FveBlock[], vmk: Uint8Array): { method: number; key: Uint8Array } | null {
  for (const block of blocks) {
    const candidates = block.entries
      .filter((e) => e.valueType === ValueType.aesCcmEncryptedKey && e.entryType !== EntryType.vmk)
      .sort((a, b) => Number(b.entryType === EntryType.fvek) - Number(a.entryType === EntryType.fvek));
    for (const entry of candidates) {
      const fvek = unwrapKeyEntry(entry, vmk);
      if (fvek && fvek.method >= 0x8000 && fvek.method <= 0x8005) return fvek;
    }
  }
  return null;
}

function planAttempts(block: FveBlock, volumeGuid: string, keys: KeyMaterial): Attempt[] {
  const attempts: Attempt[] = [];
  const beks: StartupKey[] = (keys.startupKeys ?? []).map((k) => parseBekFile(k.bytes, k.name));
  // Parse the directly given recovery passwords up front: a typo is reported (naming the block), not silently tried.
  const recoveryKeys = (keys.recoveryPasswords ?? []).map(parseRecoveryPassword);
  // A recovery password typed into the password option is also tried as one (a common mix-up).
  for (const pw of keys.passwords ?? []) if (looksLikeRecoveryPassword(pw)) { try { recoveryKeys.push(parseRecoveryPassword(pw)); } catch { /* not one after all */ } }
  const keyMap = new Map([...(keys.keyMap ?? new Map<string, string>())].map(([k, v]) => [k.replace(/[{}\s]/g, '').toLowerCase(), v]));
  const entries = vmkEntries(block);
  const protectors = entries.map(describeProtector);
  entries.forEach((entry, i) => {
    const protector = protectors[i];
    switch (protector.type) {
      case 'clear-key': {
        const keyEntry = entry.children.find((c) => c.valueType === ValueType.key);
        if (keyEntry) attempts.push({ rank: 0, protector, entry, key: () => new Uint8Array(decodeKeyValue(keyEntry).key.subarray(0, 32)) });
        break;
      }
      case 'startup-key':
        for (const bek of beks) if (bek.guid === protector.guid) attempts.push({ rank: 1, protector, entry, key: () => bek.key });
        // A key file whose GUID names no protector is still tried, after the matching ones (files get renamed and re-exported).
        for (const bek of beks) if (!protectors.some((p) => p.guid === bek.guid)) attempts.push({ rank: 4, protector, entry, key: () => bek.key });
        break;
      case 'recovery-password': {
        const salt = stretchSalt(entry);
        if (!salt) break;
        const mapped = keyMap.get(protector.guid) ?? keyMap.get(volumeGuid);
        if (mapped !== undefined) {
          const rk = parseRecoveryPassword(mapped);
          attempts.push({ rank: 2, protector, entry, key: () => stretchKeyCached(recoveryKeyInitialHash(rk), salt) });
        }
        for (const rk of recoveryKeys) attempts.push({ rank: 3, protector, entry, key: () => stretchKeyCached(recoveryKeyInitialHash(rk), salt) });
        break;
      }
      case 'password': {
        const salt = stretchSalt(entry);
        if (!salt) break;
        for (const pw of keys.passwords ?? []) attempts.push({ rank: 5, protector, entry, key: () => stretchKeyCached(passwordInitialHash(pw), salt) });
        break;
      }
      default:
        break;
    }
  });
  return attempts.sort((a, b) => a.rank - b.rank); // stable: metadata order within a rank
}

/**
 * Unlocks a BitLocker volume with the key material given (or its clear key).
 * Volumes whose state is decrypted open without a key.
 * @returns a plaintext ByteSource; writable when `source` is.
 * @throws UnlockError BITLOCKER_NO_KEY / BITLOCKER_WRONG_KEY listing the volume
 *   GUID and the protectors tried and available (never a secret);
 *   CorruptError for bad metadata or a malformed recovery password / .BEK;
 *   UnsupportedError for an unknown encryption method.
 */
export async function unlockBitLocker(source: ByteSource, keys: KeyMaterial): Promise<BitLockerVolume> {
  const metadata = await readFveMetadata(source);
  const info = buildInfo(metadata, source.size);
  const { fvek, protectorUsed } = deriveFvek(metadata, info, keys);
  return openBitLockerVolume(source, metadata, info, fvek, protectorUsed);
}

/**
 * Finds the FVEK with the key material given. Internal (tests compare the FVEK
 * with `cryptsetup bitlkDump --dump-volume-key`); never exported from the package.
 */
export function deriveFvek(
  metadata: FveMetadata,
  info: BitLockerInfo,
  keys: KeyMaterial,
): { fvek: { method: number; key: Uint8Array } | undefined; protectorUsed: { guid: string; type: string } } {
  const block = metadata.blocks[0];
  if (block.header.currentState === 1 && block.dataset.encryptionMethod === 0) {
    return { fvek: undefined, protectorUsed: { guid: '', type: 'none' } };
  }
  const attempts = planAttempts(block, info.volumeGuid, keys);
  const tried: { guid: string; type: string }[] = [];
  for (const attempt of attempts) {
    tried.push({ guid: attempt.protector.guid, type: attempt.protector.type });
    const vmk = unwrapVmk(attempt.entry, attempt.key());
    if (!vmk) continue;
    const fvek = unwrapFvek(metadata.blocks, vmk);
    if (!fvek) {
      throw new CorruptError(`BitLocker volume ${info.volumeGuid}: protector ${attempt.protector.guid} (${attempt.protector.type}) opened the VMK but no FVEK entry decrypts with it`, {
        code: 'BITLOCKER_FVEK_UNWRAP',
        layer: 'bitlocker',
        details: { volumeGuid: info.volumeGuid, protector: attempt.protector.guid },
      });
    }
    return { fvek, protectorUsed: { guid: attempt.protector.guid, type: attempt.protector.type } };
  }
  const available = info.protectors.map((p) => `${p.guid} (${p.type}${p.usableOffline ? '' : ', needs the TPM'})`).join(', ');
  const triedText = tried.map((t) => `${t.guid} (${t.type})`).join(', ');
  throw new UnlockError(
    tried.length
      ? `BitLocker volume ${info.volumeGuid}: the keys given do not unlock it (MAC check failed for ${triedText}); protectors: ${available}`
      : `BitLocker volume ${info.volumeGuid}: no key given matches a usable protector; protectors: ${available}`,
    {
      code: tried.length ? 'BITLOCKER_WRONG_KEY' : 'BITLOCKER_NO_KEY',
      layer: 'bitlocker',
      details: {
        volumeGuid: info.volumeGuid,
        tried: tried.map((t) => ({ guid: t.guid, type: t.type })),
        protectors: info.protectors.map((p) => ({ guid: p.guid, type: p.type, usableOffline: p.usableOffline })),
      },
    },
  );
}
