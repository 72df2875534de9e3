// Field checks for commands. The ledger runs them on every command it applies, and the server runs
// the same function before proposing, so that bad input is refused with INVALID_ARGUMENT naming
// the field instead of travelling through the log. Field names are the gRPC API's snake_case names.
// Values are checked with typeof as well, because commands built from the wire or decoded from a
// log entry are only as well-typed as their producer.
import { DEFAULT_LEDGER_OPTIONS, type LedgerOptions } from './options.js';
import { isPeriod } from './period.js';
import type { Command } from './types.js';

export const LIMITS = Object.freeze({
  idLengthMax: 128,
  /** Product names and workstation parameters (host, user, product version). */
  textLengthMax: 256,
  reasonLengthMax: 512,
  featuresMax: 64,
  featureKeyLengthMax: 64,
  featureValueLengthMax: 1024,
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
    if (typeof featureValue !== 'string' || featureValue.length > LIMITS.featureValueLengthMax) {
      return {
        field: `${field}.${key}`,
        message: `must be a string of at most ${LIMITS.featureValueLengthMax} characters`,
      };
    }
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

function checkLicenceSpec(value: unknown, field: string): FieldError | null {
  if (!isObject(value)) return { field, message: 'must be an object' };
  return (
    checkId(value.licenceId, `${field}.licence_id`) ??
    checkText(value.product, `${field}.product`, 1, LIMITS.textLengthMax) ??
    checkInteger(value.seats, `${field}.seats`, 1, LIMITS.seatsMax) ??
    checkQuota(value.quota, `${field}.quota`) ??
    checkTime(value.validFromMs, `${field}.valid_from_ms`) ??
    checkTime(value.validUntilMs, `${field}.valid_until_ms`) ??
    checkValidityWindow(
      value.validFromMs as number,
      value.validUntilMs as number,
      `${field}.valid_until_ms`,
    ) ??
    checkBoolean(value.redundancy, `${field}.redundancy`) ??
    checkFeatures(value.features, `${field}.features`)
  );
}

/** Changes are top-level fields of UpdateLicenceRequest, so their names carry no prefix. */
function checkLicenceChanges(value: unknown): FieldError | null {
  if (!isObject(value)) return { field: 'changes', message: 'must be an object' };
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

function checkParameters(value: unknown, field: string): FieldError | null {
  if (!isObject(value)) return { field, message: 'must be an object' };
  return (
    checkText(value.host, `${field}.host`, 0, LIMITS.textLengthMax) ??
    checkText(value.user, `${field}.user`, 0, LIMITS.textLengthMax) ??
    checkInteger(value.cores, `${field}.cores`, 0, LIMITS.coresMax) ??
    checkText(value.productVersion, `${field}.product_version`, 0, LIMITS.textLengthMax)
  );
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
      return checkId(value.requestId, 'request_id') ?? checkLicenceSpec(value.licence, 'licence');
    case 'update_licence':
      return (
        checkId(value.requestId, 'request_id') ??
        checkId(value.licenceId, 'licence_id') ??
        checkLicenceChanges(value.changes)
      );
    case 'deactivate_licence':
      return checkId(value.requestId, 'request_id') ?? checkId(value.licenceId, 'licence_id');
    case 'acquire_lease':
      return (
        checkId(value.requestId, 'request_id') ??
        checkId(value.licenceId, 'licence_id') ??
        checkId(value.workstationId, 'workstation_id') ??
        checkParameters(value.parameters, 'parameters') ??
        checkInteger(value.ttlMs, 'ttl_ms', 1, maxTtlMs)
      );
    case 'renew_lease':
      return (
        checkId(value.requestId, 'request_id') ??
        checkId(value.leaseId, 'lease_id') ??
        checkInteger(value.ttlMs, 'ttl_ms', 0, maxTtlMs)
      );
    case 'release_lease':
      return checkId(value.requestId, 'request_id') ?? checkId(value.leaseId, 'lease_id');
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
        checkText(value.reason, 'reason', 0, LIMITS.reasonLengthMax)
      );
    case 'tick':
      return null;
    case 'extend_leases':
      return checkInteger(value.byMs, 'by_ms', 0, maxExtendMs);
    default:
      return {
        field: 'type',
        message: `unknown command type ${JSON.stringify(String(value.type).slice(0, 64))}`,
      };
  }
}
