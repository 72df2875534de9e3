// Field checks for commands. The ledger runs them on every command it applies, and the server runs
// the same function before proposing, so that bad input is refused with INVALID_ARGUMENT naming
// the field instead of travelling through the log. Field names are the gRPC API's snake_case names.
// Values are checked with typeof as well, because commands built from the wire or decoded from a
// log entry are only as well-typed as their producer.
import { Buffer } from 'node:buffer';
import { MAX_MERGE_SOURCE_TERMS, MAX_MERGED_ENTRIES, MERGE_COMMAND_MAX_BYTES } from './codec.js';
import { grantOf, LEASE_NONCE_PATTERN } from './lease-id.js';
import { CLUSTER_ID_PATTERN, type LicenceTerms, readLicenceFile } from './licence-file.js';
import { DEFAULT_LEDGER_OPTIONS, type LedgerOptions } from './options.js';
import { isPeriod } from './period.js';
import { REJECTION_REASONS } from './shape.js';
import type { Command, LicenceChanges, LicenceSpec } from './types.js';

export const LIMITS = Object.freeze({
  idLengthMax: 128,
  /** Product names and workstation parameters (host, user, product version). */
  textLengthMax: 256,
  reasonLengthMax: 512,
  /** The message of a rejection a merge carries from the backup. */
  rejectionMessageLengthMax: 2048,
  featuresMax: 64,
  featureKeyLengthMax: 64,
  featureValueLengthMax: 1024,
  /** An actor's name, and the vendor's name in a licence file. */
  nameLengthMax: 128,
  /** An actor's role and how it was identified. */
  actorWordLengthMax: 32,
  /** An actor's address. */
  addressLengthMax: 256,
  /** An audit note's detail. */
  detailLengthMax: 512,
  seatsMax: 1_000_000,
  coresMax: 1_000_000,
  unitsMax: 1_000_000_000_000,
  /** The largest time Date can represent; every timestamp and validity bound stays below it. */
  timeMaxMs: 8_640_000_000_000_000,
});

/** Ids (licence, lease, workstation, request) are 1..128 characters of [A-Za-z0-9._:-]. */
const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export interface FieldError {
  field: string;
  message: string;
}

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

function checkId(value: unknown, field: string): FieldError | null {
  if (isValidId(value)) return null;
  return { field, message: `must be 1..${LIMITS.idLengthMax} characters of A-Z a-z 0-9 . _ : -` };
}

/**
 * Whether text holds a control character (C0, DEL, C1), U+FFFD (what a protobuf or UTF-8 decoder
 * makes of invalid UTF-8) or a lone surrogate: none has a place in a name, and each can garble what
 * an operator reads in a terminal or a log.
 */
export function hasUnprintable(text: string): boolean {
  for (let position = 0; position < text.length; position++) {
    const code = text.charCodeAt(position);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0xfffd) return true;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(position + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      position += 1;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return true;
    }
  }
  return false;
}

const UNPRINTABLE_MESSAGE = 'must not contain control characters or invalid UTF-8';

/** Free text: a length in range and nothing unprintable. */
function checkText(
  value: unknown,
  field: string,
  minimumLength: number,
  maximumLength: number,
): FieldError | null {
  if (typeof value !== 'string') return { field, message: 'must be a string' };
  if (value.length < minimumLength || value.length > maximumLength) {
    return { field, message: `must be ${minimumLength}..${maximumLength} characters long` };
  }
  if (hasUnprintable(value)) return { field, message: UNPRINTABLE_MESSAGE };
  return null;
}

function checkInteger(value: unknown, field: string, minimum: number, maximum: number): FieldError | null {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum || value > maximum) {
    return { field, message: `must be an integer in ${minimum}..${maximum}` };
  }
  return null;
}

function checkBoolean(value: unknown, field: string): FieldError | null {
  return typeof value === 'boolean' ? null : { field, message: 'must be true or false' };
}

function checkQuota(value: unknown, field: string): FieldError | null {
  if (value === null) return null;
  if (!isObject(value)) return { field, message: 'must be an object or null' };
  return (
    checkInteger(value.units, `${field}.units`, 1, LIMITS.unitsMax) ??
    (isPeriod(value.period) ? null : { field: `${field}.period`, message: 'must be day, week or month' })
  );
}

function checkFeatures(value: unknown, field: string): FieldError | null {
  if (!isObject(value)) return { field, message: 'must be a map of strings' };
  const entries = Object.entries(value);
  if (entries.length > LIMITS.featuresMax) {
    return { field, message: `must have at most ${LIMITS.featuresMax} entries` };
  }
  for (const [key, featureValue] of entries) {
    if (key.length < 1 || key.length > LIMITS.featureKeyLengthMax) {
      return { field, message: `keys must be 1..${LIMITS.featureKeyLengthMax} characters long` };
    }
    if (hasUnprintable(key)) return { field, message: `keys ${UNPRINTABLE_MESSAGE}` };
    if (typeof featureValue !== 'string' || featureValue.length > LIMITS.featureValueLengthMax) {
      return {
        field: `${field}.${key}`,
        message: `must be a string of at most ${LIMITS.featureValueLengthMax} characters`,
      };
    }
    if (hasUnprintable(featureValue)) return { field: `${field}.${key}`, message: UNPRINTABLE_MESSAGE };
  }
  return null;
}

function checkTime(value: unknown, field: string): FieldError | null {
  return checkInteger(value, field, 0, LIMITS.timeMaxMs);
}

/** A validity window whose end is not after its start could never be used. */
export function checkValidityWindow(
  validFromMs: number,
  validUntilMs: number,
  field: string,
): FieldError | null {
  if (validUntilMs !== 0 && validUntilMs <= validFromMs) {
    return { field, message: 'must be 0 (no end) or later than valid_from_ms' };
  }
  return null;
}

/** A licence's terms; field names are prefixed with `field.` (none when field is ''). */
export function checkLicenceSpec(value: unknown, field: string): FieldError | null {
  if (!isObject(value)) return { field, message: 'must be an object' };
  const named = (name: string) => (field === '' ? name : `${field}.${name}`);
  return (
    checkId(value.licenceId, named('licence_id')) ??
    checkText(value.product, named('product'), 1, LIMITS.textLengthMax) ??
    checkInteger(value.seats, named('seats'), 1, LIMITS.seatsMax) ??
    checkQuota(value.quota, named('quota')) ??
    checkTime(value.validFromMs, named('valid_from_ms')) ??
    checkTime(value.validUntilMs, named('valid_until_ms')) ??
    checkValidityWindow(value.validFromMs as number, value.validUntilMs as number, named('valid_until_ms')) ??
    checkBoolean(value.redundancy, named('redundancy')) ??
    checkFeatures(value.features, named('features'))
  );
}

/** A cluster id: a UUID, or 1..64 characters of A-Z a-z 0-9 . _ -. */
export function isValidClusterId(value: unknown): value is string {
  return typeof value === 'string' && CLUSTER_ID_PATTERN.test(value);
}

/**
 * The terms a licence file's payload holds, within the ledger's limits. Field names are the
 * payload's snake_case names; the caller puts them under licence_file.
 */
export function checkLicenceTerms(terms: LicenceTerms): FieldError | null {
  return (
    checkLicenceSpec(terms, '') ??
    checkInteger(terms.serial, 'serial', 1, Number.MAX_SAFE_INTEGER) ??
    checkText(terms.vendor, 'vendor', 1, LIMITS.nameLengthMax) ??
    checkTime(terms.issuedAtMs, 'issued_at_ms') ??
    (isValidClusterId(terms.clusterId)
      ? null
      : { field: 'cluster_id', message: 'must be 1..64 characters of A-Z a-z 0-9 . _ -' })
  );
}

/** A licence file: its format, and terms within the ledger's limits (the signature is not checked here). */
export function checkLicenceFile(value: unknown, field = 'licence_file'): FieldError | null {
  if (typeof value !== 'string') return { field, message: 'must be a licence file' };
  const reading = readLicenceFile(value);
  if (!reading.ok) return { field, message: reading.problem };
  const error = checkLicenceTerms(reading.file.terms);
  return error === null ? null : { field, message: `${error.field}: ${error.message}` };
}

/**
 * The first change that goes beyond what the vendor signed, or null when every change stays within
 * it: fewer seats, a smaller quota of the same period (or a quota where none was signed), a window
 * inside the signed one, redundancy only if signed. Product and features are the vendor's alone.
 */
export function checkWithinGrant(changes: LicenceChanges, limits: LicenceSpec): FieldError | null {
  if (changes.product !== undefined && changes.product !== limits.product) {
    return { field: 'product', message: "is the vendor's to change: activate a new licence file instead" };
  }
  if (changes.seats !== undefined && changes.seats > limits.seats) {
    return { field: 'seats', message: `${changes.seats} is more than the ${limits.seats} the vendor signed` };
  }
  if (changes.quota !== undefined && limits.quota !== null) {
    const signed = `${limits.quota.units} per ${limits.quota.period}`;
    if (changes.quota === null) {
      return { field: 'quota', message: `cannot be removed: the vendor signed a quota of ${signed}` };
    }
    if (changes.quota.period !== limits.quota.period || changes.quota.units > limits.quota.units) {
      return {
        field: 'quota',
        message: `${changes.quota.units} per ${changes.quota.period} is beyond the ${signed} the vendor signed`,
      };
    }
  }
  if (changes.validFromMs !== undefined && changes.validFromMs < limits.validFromMs) {
    return {
      field: 'valid_from_ms',
      message: `is before ${limits.validFromMs}, where the vendor's licence starts`,
    };
  }
  if (
    changes.validUntilMs !== undefined &&
    limits.validUntilMs !== 0 &&
    (changes.validUntilMs === 0 || changes.validUntilMs > limits.validUntilMs)
  ) {
    return {
      field: 'valid_until_ms',
      message: `is after ${limits.validUntilMs}, where the vendor's licence ends`,
    };
  }
  if (changes.redundancy === true && !limits.redundancy) {
    return { field: 'redundancy', message: 'was not signed by the vendor' };
  }
  if (changes.features !== undefined && !sameFeatures(changes.features, limits.features)) {
    return { field: 'features', message: "are the vendor's to change: activate a new licence file instead" };
  }
  return null;
}

function sameFeatures(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && b[key] === a[key])
  );
}

function checkActor(value: unknown, field = 'actor'): FieldError | null {
  if (!isObject(value)) return { field, message: 'must be an actor' };
  return (
    checkText(value.name, `${field}.name`, 1, LIMITS.nameLengthMax) ??
    checkText(value.role, `${field}.role`, 1, LIMITS.actorWordLengthMax) ??
    checkText(value.via, `${field}.via`, 1, LIMITS.actorWordLengthMax) ??
    checkText(value.from, `${field}.from`, 0, LIMITS.addressLengthMax)
  );
}

/** null only in commands written before the audit trail existed. */
function checkOptionalActor(value: unknown): FieldError | null {
  return value === null ? null : checkActor(value);
}

/** Changes are top-level fields of UpdateLicenceRequest, so their names carry no prefix. */
function checkLicenceChanges(value: unknown): FieldError | null {
  if (!isObject(value)) return { field: 'changes', message: 'must be an object' };
  for (const key of Object.keys(value)) {
    if (!CHANGE_FIELDS.includes(key))
      return { field: 'changes', message: `has an unknown member ${key.slice(0, 64)}` };
  }
  const error =
    (value.product === undefined ? null : checkText(value.product, 'product', 1, LIMITS.textLengthMax)) ??
    (value.seats === undefined ? null : checkInteger(value.seats, 'seats', 1, LIMITS.seatsMax)) ??
    (value.quota === undefined ? null : checkQuota(value.quota, 'quota')) ??
    (value.validFromMs === undefined ? null : checkTime(value.validFromMs, 'valid_from_ms')) ??
    (value.validUntilMs === undefined ? null : checkTime(value.validUntilMs, 'valid_until_ms')) ??
    (value.redundancy === undefined ? null : checkBoolean(value.redundancy, 'redundancy')) ??
    (value.features === undefined ? null : checkFeatures(value.features, 'features'));
  if (error !== null) return error;
  // The window's other end may come from the licence; the ledger checks the merged window.
  if (value.validFromMs !== undefined && value.validUntilMs !== undefined) {
    return checkValidityWindow(value.validFromMs as number, value.validUntilMs as number, 'valid_until_ms');
  }
  return null;
}

const CHANGE_FIELDS = ['product', 'seats', 'quota', 'validFromMs', 'validUntilMs', 'redundancy', 'features'];

/** A change's snake_case field name. */
const CHANGE_FIELD_NAMES: Record<string, string> = {
  product: 'product',
  seats: 'seats',
  quota: 'quota',
  validFromMs: 'valid_from_ms',
  validUntilMs: 'valid_until_ms',
  redundancy: 'redundancy',
  features: 'features',
};

function checkUpdate(value: Fields): FieldError | null {
  const error =
    checkId(value.requestId, 'request_id') ??
    checkId(value.licenceId, 'licence_id') ??
    checkOptionalActor(value.actor) ??
    checkLicenceChanges(value.changes);
  if (error !== null) return error;
  const changed = Object.keys(value.changes as Fields);
  if (value.licenceFile === null) {
    return changed.length === 0
      ? { field: 'changes', message: 'give a licence file or at least one change' }
      : null;
  }
  const first = changed[0];
  if (first !== undefined) {
    return {
      field: CHANGE_FIELD_NAMES[first] ?? 'changes',
      message: 'cannot change with a licence file: the file sets every term',
    };
  }
  return checkLicenceFile(value.licenceFile);
}

function checkParameters(value: unknown, field: string): FieldError | null {
  if (!isObject(value)) return { field, message: 'must be an object' };
  return (
    checkText(value.host, `${field}.host`, 0, LIMITS.textLengthMax) ??
    checkText(value.user, `${field}.user`, 0, LIMITS.textLengthMax) ??
    checkInteger(value.cores, `${field}.cores`, 0, LIMITS.coresMax) ??
    checkText(value.productVersion, `${field}.product_version`, 0, LIMITS.textLengthMax)
  );
}

function checkSourceTerms(value: unknown): FieldError | null {
  const field = 'source_terms';
  if (!Array.isArray(value)) return { field, message: 'must be a list of terms' };
  if (value.length > MAX_MERGE_SOURCE_TERMS) {
    return { field, message: `must hold at most ${MAX_MERGE_SOURCE_TERMS} terms` };
  }
  let previous = 0;
  for (const [position, term] of value.entries()) {
    const error = checkInteger(term, `${field}[${position}]`, 1, Number.MAX_SAFE_INTEGER);
    if (error !== null) return error;
    if ((term as number) <= previous) return { field, message: 'must be ascending without repeats' };
    previous = term as number;
  }
  return null;
}

/** A backup's rejection: a known reason and a bounded message. */
function checkRejection(value: Fields, field: string): FieldError | null {
  if (typeof value.reason !== 'string' || !REJECTION_REASONS.has(value.reason)) {
    return { field: `${field}.reason`, message: 'must be a known rejection reason' };
  }
  return checkText(value.message, `${field}.message`, 0, LIMITS.rejectionMessageLengthMax);
}

/** The lease the backup answered an acquire with: for the same licence and workstation, sound times. */
function checkGrantedLease(
  value: unknown,
  command: Fields,
  field: string,
  maxTtlMs: number,
): FieldError | null {
  if (!isObject(value)) return { field, message: 'must be a lease' };
  if (grantOf(value.leaseId) === null)
    return { field: `${field}.lease_id`, message: 'must be lease-<term>-<index>' };
  if (value.licenceId !== command.licenceId) {
    return { field: `${field}.licence_id`, message: "must be the command's licence" };
  }
  if (value.workstationId !== command.workstationId) {
    return { field: `${field}.workstation_id`, message: "must be the command's workstation" };
  }
  const error =
    checkParameters(value.parameters, `${field}.parameters`) ??
    checkTime(value.grantedAtMs, `${field}.granted_at_ms`) ??
    checkTime(value.renewedAtMs, `${field}.renewed_at_ms`) ??
    checkTime(value.expiresAtMs, `${field}.expires_at_ms`) ??
    checkInteger(value.ttlMs, `${field}.ttl_ms`, 1, maxTtlMs);
  if (error !== null) return error;
  const grantedAtMs = value.grantedAtMs as number;
  const renewedAtMs = value.renewedAtMs as number;
  if (grantedAtMs > renewedAtMs || renewedAtMs > (value.expiresAtMs as number)) {
    return { field, message: 'must have granted_at_ms <= renewed_at_ms <= expires_at_ms' };
  }
  return null;
}

/** The backup's answer to a merged acquire_lease or report_usage; the main relies on its shape. */
function checkBackupResult(
  value: unknown,
  command: unknown,
  field: string,
  maxTtlMs: number,
): FieldError | null {
  if (value === undefined) return null;
  if (!isObject(command) || typeof command.requestId !== 'string') {
    return { field, message: 'only client commands carry a result' };
  }
  if (!isObject(value) || typeof value.ok !== 'boolean') return { field, message: 'must be a result' };
  if (!value.ok) return checkRejection(value, field);
  const outcome = value.outcome;
  const outcomeField = `${field}.outcome`;
  if (!isObject(outcome)) return { field: outcomeField, message: 'must be an outcome' };
  // The answers to other client commands are only kept beside the main's (see
  // Ledger.keepOtherSideResult): they must answer the command, nothing more.
  if (command.type === 'renew_lease' || command.type === 'release_lease' || command.type === 'revoke_lease') {
    if (outcome.kind !== 'lease') return { field: `${outcomeField}.kind`, message: 'must be lease' };
    const lease = outcome.lease;
    return isObject(lease) && lease.leaseId === command.leaseId
      ? null
      : { field: `${outcomeField}.lease.lease_id`, message: "must be the command's lease" };
  }
  if (command.type === 'lease_intent') {
    // The other side recorded it, or found the lease and released or renewed it.
    if (outcome.kind === 'intent') {
      return outcome.leaseId === command.leaseId && outcome.action === command.action
        ? null
        : { field: outcomeField, message: "must be the command's lease and action" };
    }
    if (outcome.kind !== 'lease')
      return { field: `${outcomeField}.kind`, message: 'must be intent or lease' };
    const lease = outcome.lease;
    return isObject(lease) && lease.leaseId === command.leaseId
      ? null
      : { field: `${outcomeField}.lease.lease_id`, message: "must be the command's lease" };
  }
  if (command.type === 'audit_note') {
    return outcome.kind === 'noted' ? null : { field: `${outcomeField}.kind`, message: 'must be noted' };
  }
  if (
    command.type === 'activate_licence' ||
    command.type === 'update_licence' ||
    command.type === 'deactivate_licence'
  ) {
    if (outcome.kind !== 'licence') return { field: `${outcomeField}.kind`, message: 'must be licence' };
    let licenceId = command.licenceId;
    if (command.type === 'activate_licence') {
      const reading = readLicenceFile(command.licenceFile as string);
      licenceId = reading.ok ? reading.file.terms.licenceId : null;
    }
    const licence = outcome.licence;
    return isObject(licence) && licence.licenceId === licenceId
      ? null
      : { field: `${outcomeField}.licence.licence_id`, message: "must be the command's licence" };
  }
  if (command.type === 'acquire_lease') {
    if (outcome.kind !== 'lease') return { field: `${outcomeField}.kind`, message: 'must be lease' };
    return checkGrantedLease(outcome.lease, command, `${outcomeField}.lease`, maxTtlMs);
  }
  if (outcome.kind !== 'usage') return { field: `${outcomeField}.kind`, message: 'must be usage' };
  if (outcome.licenceId !== command.licenceId) {
    return { field: `${outcomeField}.licence_id`, message: "must be the command's licence" };
  }
  return (
    checkTime(outcome.periodStartMs, `${outcomeField}.period_start_ms`) ??
    checkInteger(outcome.used, `${outcomeField}.used`, 0, Number.MAX_SAFE_INTEGER) ??
    (outcome.remaining === null
      ? null
      : checkInteger(outcome.remaining, `${outcomeField}.remaining`, 0, Number.MAX_SAFE_INTEGER))
  );
}

/**
 * One of the backup's entries, on its own: positive index and term, a sane timestamp, a valid
 * command that is not a merge, and (for a client command) a result that fits the command.
 * Field names are relative to the entry.
 */
export function validateMergedEntry(entry: unknown, options?: Partial<LedgerOptions>): FieldError | null {
  if (!isObject(entry)) return { field: '', message: 'must be an object' };
  const error =
    checkInteger(entry.index, 'index', 1, Number.MAX_SAFE_INTEGER) ??
    checkInteger(entry.term, 'term', 1, Number.MAX_SAFE_INTEGER) ??
    checkTime(entry.timestampMs, 'timestamp_ms');
  if (error !== null) return error;
  if (isObject(entry.command) && entry.command.type === 'merge') {
    return { field: 'command.type', message: 'a merge cannot contain a merge' };
  }
  if (
    isObject(entry.command) &&
    (entry.command.type === 'legacy_activate_licence' || entry.command.type === 'legacy_update_licence')
  ) {
    return { field: 'command.type', message: 'an unsigned licence command cannot be merged' };
  }
  const nested = validateCommand(entry.command as Command, options);
  if (nested !== null) return { field: `command.${nested.field}`, message: nested.message };
  const maxTtlMs = options?.maxTtlMs ?? DEFAULT_LEDGER_OPTIONS.maxTtlMs;
  return checkBackupResult(entry.result, entry.command, 'result', maxTtlMs);
}

/**
 * The backup's entries in its log order: each valid on its own, indexes increasing, terms never
 * decreasing and among the source terms.
 */
function checkMergedEntries(
  value: unknown,
  sourceTerms: readonly number[],
  options: Partial<LedgerOptions> | undefined,
): FieldError | null {
  if (!Array.isArray(value)) return { field: 'entries', message: 'must be a list of entries' };
  if (value.length > MAX_MERGED_ENTRIES) {
    return { field: 'entries', message: `must hold at most ${MAX_MERGED_ENTRIES} entries` };
  }
  const terms = new Set(sourceTerms);
  let previousIndex = 0;
  let previousTerm = 0;
  for (const [position, entry] of value.entries()) {
    const field = `entries[${position}]`;
    const error = validateMergedEntry(entry, options);
    if (error !== null) {
      return { field: error.field === '' ? field : `${field}.${error.field}`, message: error.message };
    }
    const { index, term } = entry as { index: number; term: number };
    if (index <= previousIndex)
      return { field: `${field}.index`, message: 'must be above the previous index' };
    if (term < previousTerm)
      return { field: `${field}.term`, message: 'must not be below the previous term' };
    if (!terms.has(term)) return { field: `${field}.term`, message: 'must be one of source_terms' };
    previousIndex = index;
    previousTerm = term;
  }
  return null;
}

function checkMerge(value: Fields, options: Partial<LedgerOptions> | undefined): FieldError | null {
  const error =
    checkId(value.sourceNodeId, 'source_node_id') ??
    checkSourceTerms(value.sourceTerms) ??
    checkMergedEntries(value.entries, value.sourceTerms as number[], options);
  if (error !== null) return error;
  // Measured last, once the shape is known to be sound: the encoding must fit in one log entry.
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > MERGE_COMMAND_MAX_BYTES) {
    return {
      field: 'entries',
      message: `encode to ${bytes} bytes, over the limit of ${MERGE_COMMAND_MAX_BYTES}`,
    };
  }
  return null;
}

/**
 * Returns the first offending field of the command, or null when the command is well formed.
 * Only maxTtlMs and maxExtendMs are read from the options. Checks that need the ledger's state
 * (a licence's current validity window, whether ids exist) are the ledger's own.
 */
export function validateCommand(command: Command, options?: Partial<LedgerOptions>): FieldError | null {
  const maxTtlMs = options?.maxTtlMs ?? DEFAULT_LEDGER_OPTIONS.maxTtlMs;
  const maxExtendMs = options?.maxExtendMs ?? DEFAULT_LEDGER_OPTIONS.maxExtendMs;
  const value: unknown = command;
  if (!isObject(value)) return { field: 'type', message: 'command must be an object' };
  switch (value.type) {
    case 'activate_licence':
      return (
        checkId(value.requestId, 'request_id') ??
        checkOptionalActor(value.actor) ??
        checkLicenceFile(value.licenceFile)
      );
    case 'update_licence':
      return checkUpdate(value);
    case 'deactivate_licence':
      return (
        checkId(value.requestId, 'request_id') ??
        checkId(value.licenceId, 'licence_id') ??
        checkOptionalActor(value.actor)
      );
    case 'legacy_activate_licence':
      return checkId(value.requestId, 'request_id') ?? checkLicenceSpec(value.licence, 'licence');
    case 'legacy_update_licence':
      return (
        checkId(value.requestId, 'request_id') ??
        checkId(value.licenceId, 'licence_id') ??
        checkLicenceChanges(value.changes)
      );
    case 'acquire_lease':
      return (
        checkId(value.requestId, 'request_id') ??
        checkId(value.licenceId, 'licence_id') ??
        checkId(value.workstationId, 'workstation_id') ??
        checkParameters(value.parameters, 'parameters') ??
        checkInteger(value.ttlMs, 'ttl_ms', 1, maxTtlMs) ??
        (typeof value.nonce === 'string' && LEASE_NONCE_PATTERN.test(value.nonce)
          ? null
          : { field: 'nonce', message: 'must be 16 lowercase hex digits, or empty' })
      );
    case 'renew_lease':
      return (
        checkId(value.requestId, 'request_id') ??
        checkId(value.leaseId, 'lease_id') ??
        checkInteger(value.ttlMs, 'ttl_ms', 0, maxTtlMs)
      );
    case 'release_lease':
      return checkId(value.requestId, 'request_id') ?? checkId(value.leaseId, 'lease_id');
    case 'lease_intent':
      return (
        checkId(value.requestId, 'request_id') ??
        checkId(value.leaseId, 'lease_id') ??
        (grantOf(value.leaseId) === null
          ? { field: 'lease_id', message: 'must be a lease id a ledger makes (lease-<term>-<index>-<nonce>)' }
          : null) ??
        checkId(value.workstationId, 'workstation_id') ??
        (value.action === 'release' || value.action === 'renew'
          ? null
          : { field: 'action', message: 'must be release or renew' }) ??
        (value.action === 'release'
          ? checkInteger(value.ttlMs, 'ttl_ms', 0, 0)
          : checkInteger(value.ttlMs, 'ttl_ms', 0, maxTtlMs))
      );
    case 'report_usage':
      return (
        checkId(value.requestId, 'request_id') ??
        checkId(value.licenceId, 'licence_id') ??
        checkId(value.workstationId, 'workstation_id') ??
        checkInteger(value.units, 'units', 1, LIMITS.unitsMax)
      );
    case 'revoke_lease':
      return (
        checkId(value.requestId, 'request_id') ??
        checkId(value.leaseId, 'lease_id') ??
        checkText(value.reason, 'reason', 0, LIMITS.reasonLengthMax) ??
        checkOptionalActor(value.actor)
      );
    case 'audit_note':
      return (
        checkId(value.requestId, 'request_id') ??
        (value.action === 'transfer_leadership' || value.action === 'snapshot'
          ? null
          : { field: 'action', message: 'must be transfer_leadership or snapshot' }) ??
        checkText(value.detail, 'detail', 0, LIMITS.detailLengthMax) ??
        checkActor(value.actor)
      );
    case 'set_cluster_id':
      return isValidClusterId(value.clusterId)
        ? null
        : { field: 'cluster_id', message: 'must be 1..64 characters of A-Z a-z 0-9 . _ -' };
    case 'tick':
      return null;
    case 'extend_leases':
      return checkInteger(value.byMs, 'by_ms', 0, maxExtendMs);
    case 'merge':
      return checkMerge(value, options);
    default:
      return {
        field: 'type',
        message: `unknown command type ${JSON.stringify(String(value.type).slice(0, 64))}`,
      };
  }
}
