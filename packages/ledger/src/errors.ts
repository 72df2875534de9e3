// Operational errors: bytes that came from outside the process (a log entry, a snapshot) and are
// not what the ledger wrote. They are never retryable, because the same bytes will fail again.

export type LedgerDataErrorCode = 'ENTRY_DECODE_FAILED' | 'SNAPSHOT_DECODE_FAILED';

export class LedgerDataError extends Error {
  readonly code: LedgerDataErrorCode;
  readonly retryable = false;

  constructor(code: LedgerDataErrorCode, message: string) {
    super(message);
    this.name = 'LedgerDataError';
    this.code = code;
  }
}
