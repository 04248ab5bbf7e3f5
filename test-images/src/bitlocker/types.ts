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
   * Mark the clusters of the metadata blocks and of the volume-header backup as allocated in
   * the NTFS $Bitmap before encrypting (default true). Windows protects them with files in
   * "System Volume Information"; we only set the bitmap bits, so NTFS never allocates them.
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
}
