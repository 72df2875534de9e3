// pki init | issue | show: the cluster CA and its certificates, as files. They talk to no server.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CA_NAME,
  type CertificateRole,
  CLUSTER_ID_PATTERN,
  createClusterCa,
  describeCertificate,
  issueCertificate,
  loadCa,
  NAME_PATTERN,
  PkiError,
  pkiFilePaths,
  writePkiFiles,
} from '@tandem/pki';
import { InvalidArgumentError } from 'commander';
import { ExitCode, UsageError } from './exit-codes.js';
import type { Session } from './session.js';
import { formatRecord } from './table.js';
import { isoTime } from './time-format.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const PERSON_ROLES = ['viewer', 'operator', 'admin'] as const;

export interface PkiInitOptions {
  dir: string;
  clusterId?: string;
  days?: number;
  force?: boolean;
}

export interface PkiIssueOptions {
  dir: string;
  node?: string;
  witness?: string;
  operator?: string;
  role?: (typeof PERSON_ROLES)[number];
  workstation?: string;
  host?: string[];
  out?: string;
  days?: number;
}

/** Option parser: a certificate name (node id, workstation id, person). */
export function certificateName(value: string): string {
  if (!NAME_PATTERN.test(value)) {
    throw new InvalidArgumentError(`"${printable(value)}" is not 1-128 characters of A-Z a-z 0-9 . _ -.`);
  }
  return value;
}

export function clusterId(value: string): string {
  if (!CLUSTER_ID_PATTERN.test(value)) {
    throw new InvalidArgumentError(`"${printable(value)}" is not 1-64 characters of A-Z a-z 0-9 . _ -.`);
  }
  return value;
}

export function personRole(value: string): (typeof PERSON_ROLES)[number] {
  const role = PERSON_ROLES.find((candidate) => candidate === value);
  if (role === undefined)
    throw new InvalidArgumentError(`"${printable(value)}" is not one of viewer, operator, admin.`);
  return role;
}

/** Collects repeated `--host` options. */
export function hostList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A certificate is anyone's input: control characters are shown escaped, never sent to a terminal. */
export function printable(text: string): string {
  let shown = '';
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
    shown += control ? `\\u${code.toString(16).padStart(4, '0')}` : character;
  }
  return shown;
}

export async function pkiInit(session: Session, options: PkiInitOptions): Promise<number> {
  const files = pkiFilePaths(options.dir, CA_NAME);
  const ca = await createClusterCa({
    ...(options.clusterId === undefined ? {} : { clusterId: options.clusterId }),
    ...(options.days === undefined ? {} : { validDays: options.days }),
  });
  try {
    await writePkiFiles(options.dir, CA_NAME, ca, { overwrite: options.force === true });
  } catch (error) {
    if (error instanceof PkiError && error.code === 'exists') {
      throw new PkiError(
        'exists',
        `${options.dir} already holds a cluster CA (${error.field}); --force replaces it, and every ` +
          'certificate it issued stops being trusted',
        error.field,
      );
    }
    throw error;
  }
  const notAfterMs = describeCertificate(ca.certificatePem).notAfterMs;
  const result = { clusterId: ca.clusterId, ...files, notAfterMs };
  session.print(result, () =>
    formatRecord([
      ['cluster id', ca.clusterId],
      ['certificate', files.certificatePath],
      ['key', files.keyPath],
      ['valid until', isoTime(notAfterMs)],
    ]),
  );
  return ExitCode.ok;
}

/** The one subject the options name, with its role. */
function subjectOf(options: PkiIssueOptions): { role: CertificateRole; name: string } {
  const given = [
    options.node === undefined ? null : { role: 'node' as const, name: options.node },
    options.witness === undefined ? null : { role: 'witness' as const, name: options.witness },
    options.operator === undefined ? null : { role: options.role ?? null, name: options.operator },
    options.workstation === undefined ? null : { role: 'workstation' as const, name: options.workstation },
  ].filter((subject) => subject !== null);
  const [subject, ...others] = given;
  if (subject === undefined || others.length > 0) {
    throw new UsageError(
      'give exactly one of --node ID, --witness ID, --operator NAME --role viewer|operator|admin, --workstation ID',
    );
  }
  if (options.role !== undefined && options.operator === undefined) {
    throw new UsageError('--role goes with --operator NAME');
  }
  if (subject.role === null) throw new UsageError('--operator NAME needs --role viewer|operator|admin');
  if (options.host !== undefined && subject.role !== 'node' && subject.role !== 'witness') {
    throw new UsageError('--host is for --node and --witness certificates');
  }
  return { role: subject.role, name: subject.name };
}

export async function pkiIssue(session: Session, options: PkiIssueOptions): Promise<number> {
  const subject = subjectOf(options);
  const out = options.out ?? options.dir;
  if (subject.name === CA_NAME && path.resolve(out) === path.resolve(options.dir)) {
    throw new UsageError(`a certificate named "${CA_NAME}" would replace the CA's own files: use --out`);
  }
  const ca = await loadCa(options.dir);
  const issued = await issueCertificate(ca, {
    ...subject,
    ...(options.host === undefined ? {} : { hosts: options.host }),
    ...(options.days === undefined ? {} : { validDays: options.days }),
  });
  const files = await writePkiFiles(out, subject.name, issued);
  const described = describeCertificate(issued.certificatePem);
  const hosts = described.sans
    .filter((san) => !san.startsWith('URI:'))
    .map((san) => san.replace(/^[A-Z]+:/, ''));
  const result = { identity: described.identity, hosts, notAfterMs: described.notAfterMs, ...files };
  session.print(result, () =>
    formatRecord([
      ['identity', described.identity?.uri],
      ['hosts', hosts.join(', ')],
      ['valid until', isoTime(described.notAfterMs)],
      ['certificate', files.certificatePath],
      ['key', files.keyPath],
    ]),
  );
  return ExitCode.ok;
}

function validity(notBeforeMs: number, notAfterMs: number, nowMs: number): string {
  if (nowMs < notBeforeMs) return 'not yet valid';
  if (nowMs >= notAfterMs) return 'EXPIRED';
  return `valid, ${Math.floor((notAfterMs - nowMs) / DAY_MS)} days left`;
}

export async function pkiShow(session: Session, file: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PkiError('io_error', `cannot read ${file}: ${(error as Error).message}`, file, {
      cause: error,
    });
  }
  const described = describeCertificate(text);
  session.print(described, () =>
    formatRecord([
      ['subject', printable(described.subject)],
      ['issuer', printable(described.issuer)],
      ['serial', described.serialNumber],
      ['valid from', isoTime(described.notBeforeMs)],
      ['valid until', isoTime(described.notAfterMs)],
      ['status', validity(described.notBeforeMs, described.notAfterMs, Date.now())],
      ['SHA-256', described.fingerprintSha256],
      ['names', printable(described.sans.join(', '))],
      ['identity', described.identity?.uri],
      ['cluster id', described.clusterId],
      ['CA', described.isCa],
    ]),
  );
  return ExitCode.ok;
}

export interface PkiTokenOptions {
  name: string;
  role: 'workstation' | (typeof PERSON_ROLES)[number];
  out?: string;
}

/**
 * A bearer token for a site without client certificates: 32 random bytes (base64url), shown once
 * (or written to --out, 0600), and the `auth.tokens` entry that holds only its sha256.
 */
export async function pkiToken(session: Session, options: PkiTokenOptions): Promise<number> {
  const token = randomBytes(32).toString('base64url');
  const sha256 = createHash('sha256').update(token, 'utf8').digest('hex');
  if (options.out !== undefined) {
    await writeFile(options.out, `${token}\n`, { mode: 0o600, flag: 'wx' }).catch((error: Error) => {
      throw new PkiError('io_error', `cannot write ${options.out}: ${error.message}`, options.out ?? null);
    });
  }
  const entry = { name: options.name, role: options.role, sha256 };
  const shown = options.out === undefined ? token : `(written to ${options.out})`;
  session.print({ ...entry, ...(options.out === undefined ? { token } : { tokenFile: options.out }) }, () =>
    formatRecord([
      ['token', shown],
      ['config', `auth.tokens: - { name: ${entry.name}, role: ${entry.role}, sha256: ${sha256} }`],
      ['client', 'give the token as TANDEM_TOKEN, or in a file with tokenFile / --token-file'],
    ]),
  );
  return ExitCode.ok;
}

/** Option parser: the role of a token. */
export function tokenRole(value: string): PkiTokenOptions['role'] {
  if (value === 'workstation' || (PERSON_ROLES as readonly string[]).includes(value)) {
    return value as PkiTokenOptions['role'];
  }
  throw new InvalidArgumentError(`"${printable(value)}" is not one of workstation, viewer, operator, admin.`);
}
