export type { BitLockerMethod, EncryptOptions, EncryptResult, ProtectorType } from './types.js';
export { encryptToBitLocker } from './encrypt.js';
export { generateRecoveryPassword } from './recovery-password.js';
