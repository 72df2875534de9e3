// tandemctl's exit codes, and which error gives which.
import {
  InvalidArgumentError,
  NotFoundError,
  RejectedError,
  SettingsError,
  TandemError,
} from '@tandem/client';
import { PkiError } from '@tandem/pki';

export const ExitCode = {
  ok: 0,
  /** The ledger refused the operation, or what it names does not exist; also verify mismatches. */
  rejected: 1,
  /** Bad flags or arguments, or a settings file that does not validate. */
  usage: 2,
  /** No server could be reached (or none answered usefully) within the attempts allowed. */
  unavailable: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake in how tandemctl was called that commander itself cannot see. */
export class UsageError extends Error {
  readonly code = 'usage';
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function exitCodeFor(error: unknown): ExitCode {
  if (
    error instanceof UsageError ||
    error instanceof SettingsError ||
    error instanceof InvalidArgumentError
  ) {
    return ExitCode.usage;
  }
  if (error instanceof RejectedError || error instanceof NotFoundError) return ExitCode.rejected;
  // A bad value for an option is a usage error; a missing, unreadable or refused file is not.
  if (error instanceof PkiError) return error.code === 'bad_argument' ? ExitCode.usage : ExitCode.rejected;
  if (error instanceof TandemError) return error.retryable ? ExitCode.unavailable : ExitCode.rejected;
  return ExitCode.rejected;
}
