// The public surface of @tandem/ledger.

export { type AppliedEvent, MAX_APPLIED_EVENTS_PER_ENTRY } from './applied-events.js';
export type { AuditPage, AuditQuery } from './audit-trail.js';
export { canonicalJson } from './canonical.js';
export {
  commandFromJson,
  type DecodedMergedEntry,
  decodeEntryData,
  decodeMergedEntry,
  ENTRY_DATA_MAX_BYTES,
  type EntryData,
  encodeEntryData,
  encodeMergedEntry,
  MAX_MERGE_SOURCE_TERMS,
  MAX_MERGED_ENTRIES,
  MERGE_COMMAND_MAX_BYTES,
} from './codec.js';
export { LedgerDataError, type LedgerDataErrorCode } from './errors.js';
export { commandFingerprint, UNKNOWN_FINGERPRINT } from './fingerprint.js';
export { MAX_RESOLVED_INCIDENTS } from './incident-book.js';
export { grantOf, LEASE_NONCE_PATTERN, leaseIdFor } from './lease-id.js';
export type { LeaseIntent } from './lease-intents.js';
export { Ledger, UNMETERED_PERIOD } from './ledger.js';
export {
  CLUSTER_ID_PATTERN,
  encodeLicenceFile,
  encodeLicencePayload,
  KEY_ID_PATTERN,
  LICENCE_FILE_FORMAT,
  LICENCE_FILE_MAX_BYTES,
  LICENCE_FILE_VERSION,
  type LicenceEnvelope,
  type LicenceEnvelopeReading,
  type LicenceFileReading,
  type LicenceTerms,
  type ParsedLicenceFile,
  readLicenceEnvelope,
  readLicenceFile,
  readLicencePayload,
  SIGNED_PREFIX,
  signedMessage,
} from './licence-file.js';
export { type MergePlan, mergedEntryFrom, planMerge } from './merge.js';
export { DEFAULT_LEDGER_OPTIONS, type LedgerOptions, resolveLedgerOptions } from './options.js';
export {
  MAX_GRANT_TERMS,
  MAX_OVER_GRANT_STRETCHES,
  type OverGrantStretch,
  overGrantStretches,
  type SeatInterval,
} from './over-grant.js';
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
export type { EndedLease } from './seat-history.js';
export type { LedgerSnapshotState, RequestRecord, UsageRecord } from './snapshot.js';
export { SnapshotEncoder } from './snapshot.js';
export { StateHasher } from './state-hash.js';
export {
  type CommittedEntry,
  LedgerStateMachine,
  ledgerStateMachines,
  type MergeEntries,
  type OfferedEntries,
  type StateMachine,
  type StateMachineFactory,
} from './state-machine.js';
export * from './types.js';
export {
  checkLicenceFile,
  checkLicenceTerms,
  checkWithinGrant,
  type FieldError,
  hasUnprintable,
  isValidClusterId,
  isValidId,
  LIMITS,
  validateCommand,
  validateMergedEntry,
} from './validate.js';
