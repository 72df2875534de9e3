// Operational errors of the storage layer. Programmer errors (a non-contiguous append, truncating
// a committed entry) are assertions instead: they mean the caller is wrong, not the disk.

/**
 * corrupt_record: a stored record fails its checksum or its structure, or the log has a gap.
 * directory_unavailable: the directory does not exist and cannot be created, or is not writable.
 * locked: another process holds the database open.
 * unsupported_format: the directory holds a database this version does not understand.
 * io_error: LevelDB failed a read or a write; the storage refuses every later operation, because
 *   after a failed sync the state on disk is unknown.
 * closed: the storage was closed (or, for the in-memory double, crashed).
 */
export type StorageErrorCode =
  | 'corrupt_record'
  | 'directory_unavailable'
  | 'locked'
  | 'unsupported_format'
  | 'io_error'
  | 'closed';

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly retryable: boolean;

  constructor(code: StorageErrorCode, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StorageError';
    this.code = code;
    this.retryable = options.retryable;
  }
}

/**
 * A record that is not what storage wrote. Never retryable: the same bytes fail again. Storage
 * never skips or truncates such a record, because it may hold an acknowledged entry.
 */
export class CorruptRecordError extends StorageError {
  /** What the record holds: 'log entry', 'hard state', 'snapshot' or 'format'. */
  readonly record: string;
  /** The log index of a corrupt or missing entry, or null for the other records. */
  readonly index: number | null;

  constructor(record: string, index: number | null, detail: string) {
    const subject = index === null ? record : `${record} at index ${index}`;
    super('corrupt_record', `Corrupt record (${subject}): ${detail}`, { retryable: false });
    this.name = 'CorruptRecordError';
    this.record = record;
    this.index = index;
  }
}

/** The storage directory cannot be used; the message and the field name it. */
export class StorageDirectoryError extends StorageError {
  readonly directory: string;

  constructor(directory: string, detail: string, cause?: unknown) {
    super('directory_unavailable', `Storage directory ${directory} is unavailable: ${detail}`, {
      retryable: false,
      cause,
    });
    this.name = 'StorageDirectoryError';
    this.directory = directory;
  }
}
