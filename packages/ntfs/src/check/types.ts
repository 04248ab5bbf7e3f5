/** One inconsistency: a stable code, words, and the MFT records involved. */
export interface CheckFinding { code: string; message: string; records: number[] }
