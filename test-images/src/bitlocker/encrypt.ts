/**
 * encryptToBitLocker: turns a plaintext NTFS volume into a BitLocker (version 2) volume in
 * place, the way Windows 7+ leaves a fully encrypted volume:
 *
 * ```
 * volume offset 0          sector 0: BitLocker volume header (-FVE-FS-, metadata offsets)
 *               512..8K    the original sectors 1..15, encrypted where they are (never read)
 *               ...        every sector encrypted with the FVEK, tweak/IV from its own offset
 *               M1         FVE metadata block 1 (64 KiB, plaintext)
 *               M1+64K     volume-header backup: the ORIGINAL first 8 KiB, encrypted with the
 *                          tweaks/IVs of this location (dislocker's fix_read_sector_seven)
 *               M2, M3     FVE metadata blocks 2 and 3 (64 KiB each, plaintext)
 * ```
 * By default M1..M3 and the backup are the clusters NTFS gave to the owner files Windows uses,
 * `System Volume Information/FVE2.{e40ad34d-…}.1..3` and `FVE2.{24e6f0ae-…}`, created first through
 * ntfs-3g (fve-files.ts). Fallbacks: free runs near 45 %, 60 % and 75 % of the volume from $Bitmap,
 * marked used there ('bitmap') or not ('none').
 * Readers show the metadata and backup regions as zeros, and sectors 0..15 from the backup.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import { encodeBekFile } from './bek.js';
import {
  aesCcmEntry, encodeEntry, EntryType, KeyMethod, keyEntry, makeNonce, Protection, stretchKeyEntry, stringEntry,
  toFiletime, u64, ValueType, vmkEntry, concat, StretchNested, useKeyEntry,
} from './entries.js';
import { encodeMetadataBlock, METADATA_REGION_SIZE } from './metadata-block.js';
import { NtfsBitmap, parseNtfsBootSector } from './ntfs-bitmap.js';
import { generateRecoveryPassword, recoveryPasswordToKey } from './recovery-password.js';
import { createSectorCipher, fvekEntryKey, KEY_MATERIAL_LENGTH, METHOD_CODE } from './sector-cipher.js';
import { passwordInitialHash, recoveryKeyInitialHash, stretchKey } from './stretch.js';
import type { EncryptOptions, EncryptResult, FveRegions, ProtectorType } from './types.js';
import { createFveFiles } from './fve-files.js';
import { encodeVolumeHeader } from './volume-header.js';
import { badInput, noRoom, unsupported } from './errors.js';

/** Bytes of the original volume start that BitLocker relocates (NTFS boot sector + $Boot). */
const VOLUME_HEADER_BYTES = 8192;
const CHUNK = 4 << 20;

/**
 * Encrypts, in place, the NTFS volume occupying [offset, offset+size) of the file at `imagePath`.
 * Throws (layer `bitlocker-writer`): PreconditionError for inconsistent options, geometry or regions,
 * UnsupportedError when the volume is not NTFS or the sector size is not 512/4096,
 * CorruptError for a damaged $Bitmap, LimitExceededError when NTFS has no free room for the
 * metadata (BLW_FVE_FRAGMENTED when the owner files cannot get one run each); ToolError when
 * ntfs-3g/losetup fail. Option and NTFS checks happen before the first write (with 'files', a
 * region refused afterwards leaves the owner files in a consistent NTFS); an I/O failure part-way
 * leaves a half-encrypted volume (this is a test-image generator, not a converter).
 */
export async function encryptToBitLocker(imagePath: string, offset: number, size: number, options: EncryptOptions): Promise<EncryptResult> {
  const { method, protectors } = options;
  if (!(method in METHOD_CODE)) throw badInput('BLW_METHOD', `unknown BitLocker method ${String(method)}`);
  if (!protectors.recoveryPassword && !protectors.password && !protectors.startupKey && !protectors.clearKey) {
    throw badInput('BLW_NO_PROTECTOR', 'at least one protector is needed');
  }
  // Everything that can be refused is checked before the first write.
  const material = options.fvek ? new Uint8Array(options.fvek) : new Uint8Array(randomBytes(KEY_MATERIAL_LENGTH[method]));
  if (material.length !== KEY_MATERIAL_LENGTH[method]) throw badInput('BLW_FVEK_LENGTH', `fvek for ${method} must be ${KEY_MATERIAL_LENGTH[method]} bytes`);
  if (method.startsWith('aes-xts') && Buffer.compare(material.subarray(0, material.length / 2), material.subarray(material.length / 2)) === 0) {
    throw badInput('BLW_XTS_KEY', 'XTS key halves must differ');
  }
  const recoveryPassword = protectors.recoveryPassword === 'generate' ? generateRecoveryPassword() : protectors.recoveryPassword;
  const recoveryKey = recoveryPassword ? recoveryPasswordToKey(recoveryPassword) : undefined;
  const volumeGuid = (options.volumeGuid ?? randomUUID()).toLowerCase();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(volumeGuid)) throw badInput('BLW_GUID', 'volumeGuid is not a GUID');
  const file = await open(imagePath, 'r+');
  try {
    const boot = new Uint8Array(512);
    await file.read(boot, 0, 512, offset);
    const geometry = parseNtfsBootSector(boot);
    const sectorSize = options.sectorSize ?? geometry.bytesPerSector;
    if (sectorSize !== 512 && sectorSize !== 4096) throw unsupported('BLW_SECTOR_SIZE', `unsupported sector size ${sectorSize}`);
    if (offset % sectorSize || geometry.clusterSize % sectorSize) throw badInput('BLW_ALIGNMENT', 'volume offset and cluster size must be multiples of the sector size');
    const encryptedVolumeSize = Math.floor(size / sectorSize) * sectorSize;
    if (geometry.totalSectors * geometry.bytesPerSector > encryptedVolumeSize) throw badInput('BLW_SIZE', 'NTFS volume is larger than the given size');
    const headerBytes = Math.max(VOLUME_HEADER_BYTES, sectorSize);

    // 1. Room for the metadata: owner files (Windows' way), or free runs from the NTFS cluster bitmap.
    const boundary = options.pausedAt ?? encryptedVolumeSize;
    if (boundary % sectorSize || boundary < headerBytes || boundary > encryptedVolumeSize) {
      throw badInput('BLW_PAUSED_AT', `pausedAt ${boundary} must be sector-aligned, past the first ${headerBytes} bytes, and within the volume`);
    }
    const reserve = options.reserve ?? (options.reserveInBitmap === undefined ? 'files' : options.reserveInBitmap ? 'bitmap' : 'none');
    let regions: FveRegions;
    let reservedBy: EncryptResult['reservedBy'];
    let fveFiles: EncryptResult['fveFiles'];
    if (typeof reserve === 'object') {
      regions = { metadataOffsets: [...reserve.metadataOffsets], volumeHeaderOffset: reserve.volumeHeaderOffset };
      reservedBy = 'given';
    } else if (reserve === 'files') {
      // ntfs-3g writes the plaintext volume through its own mount; everything below re-reads it.
      const made = await createFveFiles(imagePath, offset, encryptedVolumeSize, { headerBytes });
      regions = { metadataOffsets: made.metadataOffsets, volumeHeaderOffset: made.volumeHeaderOffset };
      reservedBy = 'files';
      fveFiles = made.files;
    } else if (reserve === 'bitmap' || reserve === 'none') {
      const bitmap = await NtfsBitmap.load(file, offset, geometry);
      const cs = geometry.clusterSize;
      const total = geometry.totalClusters;
      const pick = (bytes: number, fraction: number) => {
        const count = Math.ceil(bytes / cs);
        const first = bitmap.findFreeRun(count, Math.floor(total * fraction));
        if (first < 0) throw noRoom('BLW_NO_ROOM', `no ${bytes}-byte free run in the NTFS volume for BitLocker metadata`);
        bitmap.markUsed(first, count);
        return first * cs;
      };
      const m1 = pick(METADATA_REGION_SIZE + headerBytes, 0.45);
      regions = { metadataOffsets: [m1, pick(METADATA_REGION_SIZE, 0.6), pick(METADATA_REGION_SIZE, 0.75)], volumeHeaderOffset: m1 + METADATA_REGION_SIZE };
      checkRegions(regions, sectorSize, headerBytes, encryptedVolumeSize, boundary);
      if (reserve === 'bitmap') await bitmap.save(file, offset);
      reservedBy = reserve;
    } else {
      throw badInput('BLW_RESERVE', `unknown reserve mode ${String(reserve)}`);
    }
    // For 'files' the owner files exist by now: a refusal here leaves a consistent, unencrypted NTFS.
    checkRegions(regions, sectorSize, headerBytes, encryptedVolumeSize, boundary);
    const { metadataOffsets, volumeHeaderOffset } = regions;

    // 2. Keys.
    const vmk = new Uint8Array(randomBytes(32));
    const now = toFiletime(new Date());
    let counter = 1;
    const nonce = () => makeNonce(now, counter++);
    const vmkPayload = () => keyEntry(KeyMethod.vmk, vmk, 0);

    // 3. Protectors (VMK entries).
    const resultProtectors: { guid: string; type: ProtectorType }[] = [];
    const entries: Uint8Array[] = [];
    const description = options.description ?? `COLDFIX-TEST TestVolume ${new Date().getUTCMonth() + 1}/${new Date().getUTCDate()}/${new Date().getUTCFullYear()}`;
    entries.push(stringEntry(EntryType.description, description));
    let bekFile: EncryptResult['bekFile'];
    if (recoveryKey) {
      const salt = new Uint8Array(randomBytes(16));
      const key = stretchKey(recoveryKeyInitialHash(recoveryKey), salt);
      const guid = randomUUID();
      entries.push(vmkEntry(guid, now, Protection.recoveryPassword, [
        stringEntry(EntryType.property, 'DiskPassword'),
        stretchKeyEntry(KeyMethod.stretchRecovery, salt, [
          aesCcmEntry(StretchNested.recoveryKey, vmk, nonce(), keyEntry(KeyMethod.stretchRecovery, recoveryKey, 0)),
          aesCcmEntry(StretchNested.stretchedKey, vmk, nonce(), keyEntry(KeyMethod.stretchedRecovery, key, 0)),
        ]),
        aesCcmEntry(EntryType.property, key, nonce(), vmkPayload()),
      ]));
      resultProtectors.push({ guid, type: 'recovery-password' });
    }
    if (protectors.password) {
      const salt = new Uint8Array(randomBytes(16));
      const key = stretchKey(passwordInitialHash(protectors.password), salt);
      const guid = randomUUID();
      entries.push(vmkEntry(guid, now, Protection.password, [
        stretchKeyEntry(KeyMethod.stretchPassword, salt, [
          aesCcmEntry(EntryType.property, vmk, nonce(), keyEntry(KeyMethod.stretchedPassword, key, 0)),
        ]),
        aesCcmEntry(EntryType.property, key, nonce(), vmkPayload()),
      ]));
      resultProtectors.push({ guid, type: 'password' });
    }
    if (protectors.startupKey) {
      const externalKey = new Uint8Array(randomBytes(32));
      const guid = randomUUID();
      entries.push(vmkEntry(guid, now, Protection.startupKey, [
        stringEntry(EntryType.property, 'ExternalKey'),
        useKeyEntry(KeyMethod.externalKey, aesCcmEntry(EntryType.property, vmk, nonce(), keyEntry(KeyMethod.externalKey, externalKey, 0))),
        aesCcmEntry(EntryType.property, externalKey, nonce(), vmkPayload()),
      ]));
      resultProtectors.push({ guid, type: 'startup-key' });
      bekFile = { name: `${guid.toUpperCase()}.BEK`, bytes: encodeBekFile(guid, externalKey, now) };
    }
    if (protectors.clearKey) {
      const clear = new Uint8Array(randomBytes(32));
      const guid = randomUUID();
      // Version 3 and the key-then-AES-CCM order are what Windows 10 wrote on a suspended volume.
      entries.push(vmkEntry(guid, now, Protection.clearKey, [
        keyEntry(KeyMethod.clearKey, clear),
        aesCcmEntry(EntryType.property, clear, nonce(), vmkPayload()),
      ], 3));
      resultProtectors.push({ guid, type: 'clear-key' });
    }
    const fvekKey = fvekEntryKey(method, material);
    entries.push(aesCcmEntry(EntryType.fvek, vmk, nonce(), keyEntry(METHOD_CODE[method], fvekKey, 0)));
    entries.push(encodeEntry(EntryType.volumeHeaderBlock, ValueType.offsetAndSize, 1, concat([u64(volumeHeaderOffset), u64(headerBytes)])));
    const validationNonce = nonce();

    // 4. Encrypt every sector but the metadata regions, in place.
    const original = new Uint8Array(headerBytes);
    await file.read(original, 0, headerBytes, offset);
    const cipher = createSectorCipher(method, material, sectorSize);
    const skip = metadataOffsets.map((m) => [m, m + METADATA_REGION_SIZE] as const).sort((a, b) => a[0] - b[0]);
    const chunk = new Uint8Array(CHUNK);
    let pos = 0;
    for (const [start, end] of [...skip.filter(([s0]) => s0 < boundary), [boundary, boundary] as const]) {
      while (pos < start) {
        const n = Math.min(CHUNK, start - pos);
        const view = chunk.subarray(0, n);
        const { bytesRead } = await file.read(view, 0, n, offset + pos);
        if (bytesRead < n) view.fill(0, bytesRead);
        cipher.encrypt(view, pos);
        await file.write(view, 0, n, offset + pos);
        pos += n;
      }
      pos = Math.max(pos, end);
    }

    // 5. The relocated volume header, the metadata blocks, and the BitLocker boot sector.
    // Like any sector, the backup is only encrypted when it lies below the conversion boundary.
    if (volumeHeaderOffset < boundary) cipher.encrypt(original, volumeHeaderOffset);
    await file.write(original, 0, headerBytes, offset + volumeHeaderOffset);
    const block = encodeMetadataBlock({
      encryptedVolumeSize: boundary, state: boundary < encryptedVolumeSize ? { current: 3, next: 1 } : undefined, volumeHeaderSectors: headerBytes / sectorSize, metadataOffsets, volumeHeaderOffset, volumeGuid,
      nextNonceCounter: counter, encryptionMethod: METHOD_CODE[method], creationTime: now, entries, vmk, validationNonce,
    });
    for (const m of metadataOffsets) await file.write(block, 0, block.length, offset + m);
    const header = encodeVolumeHeader({
      sectorSize, sectorsPerCluster: geometry.sectorsPerCluster, sectorsPerTrack: geometry.sectorsPerTrack,
      heads: geometry.heads, hiddenSectors: geometry.hiddenSectors, metadataOffsets,
    });
    await file.write(header, 0, header.length, offset);

    return {
      volumeGuid, method, fvek: material, protectors: resultProtectors, recoveryPassword, bekFile,
      metadataOffsets, volumeHeaderOffset, reservedBy, ...(fveFiles ? { fveFiles } : {}),
    };
  } finally {
    await file.close();
  }
}

/**
 * The regions must be sector-aligned, inside the encrypted volume past the relocated header, apart
 * from each other, and not cut by the conversion boundary.
 * @throws PreconditionError BLW_REGIONS or BLW_PAUSED_AT.
 */
function checkRegions(r: FveRegions, sectorSize: number, headerBytes: number, volumeSize: number, boundary: number): void {
  const spans = [...r.metadataOffsets.map((o) => [o, METADATA_REGION_SIZE] as const), [r.volumeHeaderOffset, headerBytes] as const];
  if (r.metadataOffsets.length !== 3) throw badInput('BLW_REGIONS', 'three metadata block offsets are needed');
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  for (const [i, [start, length]] of sorted.entries()) {
    if (!Number.isSafeInteger(start) || start % sectorSize || start < headerBytes || start + length > volumeSize) {
      throw badInput('BLW_REGIONS', `region at ${start} (${length} B) is not sector-aligned inside the volume past its first ${headerBytes} bytes`);
    }
    if (i > 0 && sorted[i - 1][0] + sorted[i - 1][1] > start) throw badInput('BLW_REGIONS', `regions at ${sorted[i - 1][0]} and ${start} overlap`);
    if (boundary > start && boundary < start + length) throw badInput('BLW_PAUSED_AT', `pausedAt ${boundary} falls inside the region at ${start}`);
  }
}
