/** Typed errors of the BitLocker writer (layer `bitlocker-writer`), built on @coldfix/io's classes. */
import { CorruptError, LimitExceededError, PreconditionError, UnsupportedError } from '@coldfix/io';

const layer = 'bitlocker-writer';
/** Bad options or input the caller can fix. */
export const badInput = (code: string, message: string) => new PreconditionError(message, { code, layer });
/** The NTFS structures the writer reads are damaged. */
export const corrupt = (code: string, message: string, offset?: number) => new CorruptError(message, { code, layer, offset });
export const unsupported = (code: string, message: string) => new UnsupportedError(message, { code, layer });
export const noRoom = (code: string, message: string) => new LimitExceededError(message, { code, layer });
