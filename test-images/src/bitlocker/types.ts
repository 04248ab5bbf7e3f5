/**
 * Public types of the BitLocker test-volume writer.
 *
 * The writer is an independent implementation of the BitLocker (BDE) version 2
 * on-disk format, written from libyal's "BitLocker Drive Encryption (BDE)
 * format" document and checked only against dislocker, cryptsetup and libbde.
 * It shares no code with `packages/bitlocker` on purpose: a reader and a writer
 * that shared a mistake would agree with each other and prove nothing.
 */

/** Sector encryption methods Windows can create (the diffuser ones only up to Windows 7). */
export type BitLockerMethod =
  | 'aes-xts-128'
  | 'aes-xts-256'
  | 'aes-cbc-128'
  | 'aes-cbc-256'
  | 'aes-cbc-128-diffuser'
  | 'aes-cbc-256-diffuser';

export interface EncryptOptions {
  method: BitLockerMethod;
  protectors: {
    /** 48 digits in 8 dash-separated blocks, or `'generate'` for a fresh valid one. */
    recoveryPassword?: string;
    /** User password (UTF-16LE, as Windows hashes it). */
    password?: string;
    /** Adds an external-key (startup key) protector; the .BEK file comes back in the result. */
    startupKey?: boolean;
    /** Adds a clear-key protector (what a suspended volume holds): opens with no secret. */
    clearKey?: boolean;
  };
  /** Bytes per sector of the BitLocker volume; default: the NTFS boot sector's value. */
  sectorSize?: 512 | 4096;
  /** FVE description entry; default "COLDFIX-TEST TestVolume M/D/YYYY" like Windows' "HOST Label date". */
  description?: string;
  /** Volume (dataset) GUID; random when absent. */
  volumeGuid?: string;
  /**
   * Key material as `cryptsetup bitlkDump --dump-volume-key` shows it: XTS-128 32 bytes (key1‖key2),
   * XTS-256 64, CBC-128 16, CBC-256 32, CBC-128-diffuser 32 (FVEK‖tweak key), CBC-256-diffuser 64.
   * Random when absent.
   */
  fvek?: Uint8Array;
  /**
   * How the clusters of the three metadata blocks and of the volume-header backup are kept from NTFS:
   * - `'files'` (default): like Windows, by files in "System Volume Information" that own them:
   *   `FVE2.{e40ad34d-dae9-4bc7-95bd-b16218c10f72}.1..3` (64 KiB each) and
   *   `FVE2.{24e6f0ae-6a00-4f73-984b-75ce9942852d}` (the header backup), created through ntfs-3g before
   *   encrypting; the regions are wherever NTFS allocated them. The decrypted NTFS is consistent.
   *   Needs root, /dev/fuse, ntfs-3g (and losetup for a volume inside a disk image).
   * - `'bitmap'`: free runs near 45 %, 60 % and 75 % of the volume, marked used in $Bitmap only
   *   (no file claims them: chkdsk and coldfix's checker report them).
   * - `'none'`: the same free runs, $Bitmap untouched (NTFS may later allocate them).
   * - explicit regions (e.g. from {@link createFveFiles} run beforehand): used as they are.
   */
  reserve?: 'files' | 'bitmap' | 'none' | FveRegions;
  /**
   * Older switch, kept for callers: `true` = `reserve: 'bitmap'`, `false` = `reserve: 'none'`.
   * Ignored when `reserve` is given; when both are absent the default is `'files'`.
   */
  reserveInBitmap?: boolean;
  /**
   * Leave the conversion paused at this volume byte offset (a multiple of the sector size, not
   * inside a metadata region or the header backup): only sectors below it are encrypted, the rest
   * stay plaintext, the metadata records it as the encrypted volume size with current state 3 and
   * next state 1, exactly what the Windows 7 sample paused mid-conversion holds
   * (fixtures/real win7_partial.bin). Default: the whole volume is encrypted (states 4 / 4).
   */
  pausedAt?: number;
}

/** Byte offsets, from the volume start, of the three metadata blocks and of the volume-header backup. */
export interface FveRegions {
  metadataOffsets: number[];
  volumeHeaderOffset: number;
}

export type ProtectorType = 'recovery-password' | 'password' | 'startup-key' | 'clear-key';

export interface EncryptResult {
  volumeGuid: string;
  method: BitLockerMethod;
  /** Test-only key material (see {@link EncryptOptions.fvek}); never log it. */
  fvek: Uint8Array;
  protectors: { guid: string; type: ProtectorType }[];
  recoveryPassword?: string;
  /** The external key file, named `<PROTECTOR-GUID>.BEK` as Windows names it. */
  bekFile?: { name: string; bytes: Uint8Array };
  /** Byte offsets, relative to the volume start, of the three FVE metadata blocks (64 KiB each). */
  metadataOffsets: number[];
  /** Byte offset, relative to the volume start, of the encrypted copy of the original first 8 KiB. */
  volumeHeaderOffset: number;
  /** How the regions were reserved (`'given'`: explicit regions in the options). */
  reservedBy: 'files' | 'bitmap' | 'none' | 'given';
  /** With `reserve: 'files'`: the owner files (volume path, MFT record, data offset, size). */
  fveFiles?: { path: string; mftRecord: number; offset: number; size: number }[];
}
