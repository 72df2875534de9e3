// The public surface of @tandem/ledger.
export { canonicalJson } from './canonical.js';
export {
  commandFromJson,
  decodeEntryData,
  ENTRY_DATA_MAX_BYTES,
  type EntryData,
  encodeEntryData,
  MAX_MERGE_SOURCE_TERMS,
  MAX_MERGED_ENTRIES,
  MERGE_COMMAND_MAX_BYTES,
} from './codec.js';
export { LedgerDataError, type LedgerDataErrorCode } from './errors.js';
export { MAX_RESOLVED_INCIDENTS } from './incident-book.js';
export { Ledger, UNMETERED_PERIOD } from './ledger.js';
export { type MergePlan, mergedEntryFrom, planMerge } from './merge.js';
export { DEFAULT_LEDGER_OPTIONS, type LedgerOptions, resolveLedgerOptions } from './options.js';
export {
  DAY_MS,
  isPeriod,
  PERIODS,
  type PeriodBounds,
  periodBounds,
  periodEndMs,
  periodStartMs,
  WEEK_MS,
} from './period.js';
export type { LedgerSnapshotState, RequestRecord, UsageRecord } from './snapshot.js';
export * from './types.js';
export { type FieldError, isValidId, LIMITS, validateCommand, validateMergedEntry } from './validate.js';
