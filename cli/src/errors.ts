import { ColdfixError } from '@coldfix/io';
import { ExitCode } from './exit-codes.js';

/** Maps any error to the documented exit code and a one-line message. */
export function classifyError(error: unknown): { exitCode: ExitCode; line: string; json: unknown } {
  if (error instanceof ColdfixError) {
    const exitCode = error.kind === 'precondition' ? ExitCode.refused : ExitCode.badInput;
    return { exitCode, line: `coldfix: ${error.message} [${error.code}]`, json: { error: error.toJSON() } };
  }
  const message = error instanceof Error ? error.stack ?? error.message : String(error);
  return { exitCode: ExitCode.internal, line: `coldfix: internal error: ${message}`, json: { error: { kind: 'internal', message: String((error as Error)?.message ?? error) } } };
}
