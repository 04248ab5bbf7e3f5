import { ColdfixError, isRemoteUrl, maskUrl, scrubUrl } from '@coldfix/io';
import { ExitCode } from './exit-codes.js';

/** A bad command line (invalid option value): exit 2 like any other bad input. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** Stable code printed in brackets like every other error line (docs/cli.md). */
  constructor(
    message: string,
    readonly code: string = 'USAGE',
  ) {
    super(message);
  }
}

/** The `[CODE]` of a commander parse error: `commander.unknownOption` -> `USAGE_UNKNOWN_OPTION`. */
export function usageCode(commanderCode: string): string {
  const name = commanderCode.replace(/^commander\./, '').replace(/([a-z])([A-Z])/g, '$1_$2');
  return `USAGE_${name.toUpperCase()}`;
}

/**
 * Maps any error to the documented exit code and a one-line message. Format
 * layers see only byte sources, so their messages name the structure and the
 * offset; `image` (the command's image argument) supplies the file when the
 * message does not already name it.
 */
export function classifyError(error: unknown, image?: string): { exitCode: ExitCode; line: string; json: unknown } {
  const classified = classifyUnmasked(error, image && isRemoteUrl(image) ? maskUrl(image) : image);
  // A remote image's URL carries its credentials (SAS, presigned signature): no line or JSON holds it.
  if (!image || !isRemoteUrl(image)) return classified;
  return { ...classified, line: scrubUrl(classified.line, image), json: JSON.parse(scrubUrl(JSON.stringify(classified.json), image)) as unknown };
}

function classifyUnmasked(error: unknown, image?: string): { exitCode: ExitCode; line: string; json: unknown } {
  if (error instanceof ColdfixError) {
    const exitCode = error.kind === 'precondition' ? ExitCode.refused : ExitCode.badInput;
    const where = image && !error.message.includes(image) ? `${image}: ` : '';
    return { exitCode, line: `coldfix: ${where}${error.message} [${error.code}]`, json: { error: error.toJSON(), ...(image ? { image } : {}) } };
  }
  if (error instanceof UsageError) {
    return { exitCode: ExitCode.badInput, line: `coldfix: ${error.message} [${error.code}]`, json: { error: { kind: 'usage', code: error.code, message: error.message } } };
  }
  const message = error instanceof Error ? error.stack ?? error.message : String(error);
  return { exitCode: ExitCode.internal, line: `coldfix: internal error: ${message}`, json: { error: { kind: 'internal', message: String((error as Error)?.message ?? error) } } };
}
