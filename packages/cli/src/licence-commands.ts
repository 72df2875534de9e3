// licence activate | update | deactivate | list | show. A licence comes from a licence file the
// vendor signed for this cluster (tandem-issuer sign); an update either installs a newer file or
// makes changes within what the vendor signed.
import { readFile } from 'node:fs/promises';
import type { LicenceChanges, LicenceSpecInput, LicenceView, Period } from '@tandem/client';
import { readLicenceFile } from '@tandem/ledger';
import { ExitCode, UsageError } from './exit-codes.js';
import type { Session } from './session.js';
import { formatRecord, formatTable } from './table.js';
import { isoTime } from './time-format.js';

export interface ActivateOptions {
  file: string;
}

export interface UpdateOptions {
  /** A newer licence file from the vendor; then no other option. */
  file?: string;
  product?: string;
  seats?: number;
  /** A number sets the quota; false (from --no-quota) removes it. */
  quota?: number | false;
  period?: Period;
  validFrom?: number;
  validUntil?: number;
  redundancy?: boolean;
  feature?: Record<string, string>;
  clearFeatures?: boolean;
}

function quotaText(licence: LicenceView): string | null {
  if (licence.quota === null) return null;
  return `${licence.usageThisPeriod}/${licence.quota.units} per ${licence.quota.period}`;
}

function featuresText(features: Record<string, string>): string | null {
  const pairs = Object.entries(features).map(([key, value]) => `${key}=${value}`);
  return pairs.length === 0 ? null : pairs.join(', ');
}

export function licenceTable(licences: readonly LicenceView[]): string {
  return formatTable(
    ['ID', 'PRODUCT', 'STATUS', 'SEATS', 'IN USE', 'QUOTA', 'VALID UNTIL', 'REDUNDANCY'],
    licences.map((licence) => [
      licence.licenceId,
      licence.product,
      licence.status,
      licence.seats,
      licence.seatsInUse,
      quotaText(licence),
      isoTime(licence.validUntilMs) ?? 'never',
      licence.redundancy,
    ]),
  );
}

export function licenceRecord(licence: LicenceView): string {
  return formatRecord([
    ['id', licence.licenceId],
    ['product', licence.product],
    ['status', licence.status],
    ['seats', licence.seats],
    ['seats in use', licence.seatsInUse],
    ['quota', quotaText(licence)],
    ['period start', isoTime(licence.periodStartMs)],
    ['valid from', isoTime(licence.validFromMs) ?? 'always'],
    ['valid until', isoTime(licence.validUntilMs) ?? 'never'],
    ['redundancy', licence.redundancy],
    ['features', featuresText(licence.features)],
    ['activated at', isoTime(licence.activatedAtMs)],
    ['updated at', isoTime(licence.updatedAtMs)],
    ...signedRows(licence),
  ]);
}

/** What the vendor signed: the file's serial and origin, and the ceiling of operator changes. */
function signedRows(licence: LicenceView): Array<[string, string | number | boolean | null]> {
  const { grant } = licence;
  if (grant.serial === 0) return [['signed', 'no (activated before licences were signed)']];
  const limits = grant.limits;
  const signedQuota = limits.quota === null ? 'none' : `${limits.quota.units} per ${limits.quota.period}`;
  return [
    [
      'signed',
      `serial ${grant.serial} by ${grant.vendor} (key ${grant.keyId}), issued ${isoTime(grant.issuedAtMs)}`,
    ],
    ['signed seats', limits.seats],
    ['signed quota', signedQuota],
    ['signed until', isoTime(limits.validUntilMs) ?? 'never'],
    ['signed redundancy', limits.redundancy],
  ];
}

/** A licence file's text, read from disk (the server checks it; this only reads it). */
async function licenceFileText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the licence file ${file}: ${(error as Error).message}`);
  }
}

function quotaOf(quota: number | undefined, period: Period | undefined): LicenceSpecInput['quota'] {
  if (quota === undefined && period === undefined) return null;
  if (quota === undefined) throw new UsageError('--period needs --quota');
  if (period === undefined) throw new UsageError('--quota needs --period (day, week or month)');
  return { units: quota, period };
}

export async function activateLicence(session: Session, options: ActivateOptions): Promise<number> {
  const licence = await session.admin().activateLicence(await licenceFileText(options.file));
  session.print(licence, () => licenceRecord(licence));
  return ExitCode.ok;
}

/** The changes an update asks for; at least one is required. */
export function licenceChanges(options: UpdateOptions): LicenceChanges {
  const changes: LicenceChanges = {};
  if (options.product !== undefined) changes.product = options.product;
  if (options.seats !== undefined) changes.seats = options.seats;
  if (options.quota === false) {
    if (options.period !== undefined) throw new UsageError('--no-quota and --period do not go together');
    changes.quota = null;
  } else if (options.quota !== undefined || options.period !== undefined) {
    changes.quota = quotaOf(options.quota, options.period);
  }
  if (options.validFrom !== undefined) changes.validFromMs = options.validFrom;
  if (options.validUntil !== undefined) changes.validUntilMs = options.validUntil;
  if (options.redundancy !== undefined) changes.redundancy = options.redundancy;
  if (options.clearFeatures === true && options.feature !== undefined) {
    throw new UsageError('--clear-features and --feature do not go together');
  }
  if (options.clearFeatures === true) changes.features = {};
  else if (options.feature !== undefined) changes.features = options.feature;
  if (Object.keys(changes).length === 0) throw new UsageError('nothing to change: give at least one option');
  return changes;
}

export async function updateLicence(
  session: Session,
  licenceId: string | undefined,
  options: UpdateOptions,
): Promise<number> {
  let licence: LicenceView;
  if (options.file !== undefined) {
    const { file, ...others } = options;
    if (Object.values(others).some((value) => value !== undefined)) {
      throw new UsageError('--file sets every term of the licence: give no other change with it');
    }
    const text = await licenceFileText(file);
    const reading = readLicenceFile(text);
    if (reading.ok && licenceId !== undefined && reading.file.terms.licenceId !== licenceId) {
      throw new UsageError(`${file} is for licence ${reading.file.terms.licenceId}, not ${licenceId}`);
    }
    licence = await session.admin().updateLicenceFromFile(text);
  } else {
    if (licenceId === undefined)
      throw new UsageError('give the licence id, or --file with a newer licence file');
    licence = await session.admin().updateLicence(licenceId, licenceChanges(options));
  }
  session.print(licence, () => licenceRecord(licence));
  return ExitCode.ok;
}

export async function deactivateLicence(session: Session, licenceId: string): Promise<number> {
  const licence = await session.admin().deactivateLicence(licenceId);
  session.print(licence, () => licenceRecord(licence));
  return ExitCode.ok;
}

export async function listLicences(session: Session): Promise<number> {
  const licences = await session.admin().listLicences();
  session.print({ licences }, () => licenceTable(licences));
  return ExitCode.ok;
}

export async function showLicence(session: Session, licenceId: string): Promise<number> {
  const licence = await session.admin().getLicence(licenceId);
  session.print(licence, () => licenceRecord(licence));
  return ExitCode.ok;
}
