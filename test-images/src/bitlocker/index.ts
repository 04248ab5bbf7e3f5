export type { BitLockerMethod, EncryptOptions, EncryptResult, FveRegions, ProtectorType } from './types.js';
export { encryptToBitLocker } from './encrypt.js';
export { generateRecoveryPassword } from './recovery-password.js';
export { createFveFiles, FVE2_CONTROL, FVE2_VBB, type FveFile, type FveFilesOptions, type FveFilesResult } from './fve-files.js';
