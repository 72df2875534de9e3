// tandem-issuer: the software vendor's tool. keygen makes an Ed25519 key pair, sign writes a licence
// file for one cluster, inspect shows what a file says and whether its signature verifies. Runs
// in-process against injected output streams, so that tests call it directly; main.ts binds it to the
// process. See docs/vendor-licences.md.
import { constants } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  isPeriod,
  type LicenceTerms,
  type Period,
  readLicenceEnvelope,
  readLicencePayload,
} from '@tandem/ledger';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import {
  generateVendorKey,
  isValidKeyId,
  keyFingerprint,
  LicenceTermsError,
  parsePrivateKey,
  parsePublicKey,
  signatureVerifiesWith,
  signLicence,
} from './licence-file.js';

export const VERSION = '0.1.0';

export const ExitCode = {
  ok: 0,
  /** inspect: the file is malformed or its signature does not verify; sign: the terms are invalid. */
  failed: 1,
  usage: 2,
} as const;

export interface IssuerIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** The clock for a file's issue time when --issued-at is not given. */
  nowMs?: () => number;
}

/** A mistake in how tandem-issuer was called, or a file it cannot use. */
class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const PRIVATE_KEY_SUFFIX = '.key.pem';
const PUBLIC_KEY_SUFFIX = '.pub.pem';

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number <= 0) {
    throw new InvalidArgumentError(`"${value}" is not a positive integer.`);
  }
  return number;
}

function period(value: string): Period {
  if (isPeriod(value)) return value;
  throw new InvalidArgumentError(`"${value}" is not one of day, week, month.`);
}

/** An ISO 8601 time or milliseconds since the epoch. */
function timeMs(value: string): number {
  if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed) || parsed < 0) {
    throw new InvalidArgumentError(
      `"${value}" is not an ISO 8601 time (e.g. 2027-01-31T00:00:00Z) or epoch milliseconds.`,
    );
  }
  return parsed;
}

function feature(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const separator = value.indexOf('=');
  if (separator <= 0) throw new InvalidArgumentError(`"${value}" is not key=value.`);
  return { ...previous, [value.slice(0, separator)]: value.slice(separator + 1) };
}

function keyId(value: string): string {
  if (!isValidKeyId(value)) throw new InvalidArgumentError(`"${value}" must be 1..64 of A-Z a-z 0-9 . _ -.`);
  return value;
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

interface KeygenOptions {
  out: string;
  keyId?: string;
}

async function keygen(io: IssuerIo, options: KeygenOptions): Promise<number> {
  const { privateKey, publicKey } = generateVendorKey();
  const id = options.keyId ?? `vendor-${keyFingerprint(publicKey)}`;
  const privateFile = path.join(options.out, `${id}${PRIVATE_KEY_SUFFIX}`);
  const publicFile = path.join(options.out, `${id}${PUBLIC_KEY_SUFFIX}`);
  await mkdir(options.out, { recursive: true, mode: 0o700 });
  for (const file of [privateFile, publicFile]) {
    if (await exists(file)) throw new UsageError(`${file} exists; a key is never overwritten`);
  }
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  // Created exclusively and readable by its owner only, from the first byte.
  await writeFile(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), {
    mode: 0o600,
    flag: 'wx',
  });
  await writeFile(publicFile, publicPem, { mode: 0o644, flag: 'wx' });
  io.stdout.write(
    `key id:      ${id}\nprivate key: ${privateFile} (keep it secret; sign with --key)\npublic key:  ${publicFile}\n\n` +
      `Give the operators the public key and its id; in tandemd's configuration:\n\n` +
      `licensing:\n  vendorKeys:\n    - id: ${id}\n      publicKey: |\n${publicPem
        .trimEnd()
        .split('\n')
        .map((line) => `        ${line}`)
        .join('\n')}\n`,
  );
  return ExitCode.ok;
}

interface SignOptions {
  key: string;
  keyId?: string;
  clusterId: string;
  licenceId: string;
  product: string;
  seats: number;
  quota?: number;
  period?: Period;
  validFrom?: number;
  validUntil?: number;
  redundancy?: boolean;
  feature?: Record<string, string>;
  serial: number;
  vendor: string;
  issuedAt?: number;
  out: string;
}

/** The key id a private key file is known by: --key-id, or its name as keygen wrote it. */
function signingKeyId(options: SignOptions): string {
  if (options.keyId !== undefined) return options.keyId;
  const name = path.basename(options.key);
  if (name.endsWith(PRIVATE_KEY_SUFFIX)) {
    const id = name.slice(0, -PRIVATE_KEY_SUFFIX.length);
    if (isValidKeyId(id)) return id;
  }
  throw new UsageError(`cannot tell the key id from the file name ${name}: give --key-id`);
}

async function signCommand(io: IssuerIo, options: SignOptions): Promise<number> {
  if ((options.quota === undefined) !== (options.period === undefined)) {
    throw new UsageError('--quota and --period go together');
  }
  let privateKey: ReturnType<typeof parsePrivateKey>;
  try {
    privateKey = parsePrivateKey(await readText(options.key, 'the private key'));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${options.key}: ${(error as Error).message}`);
  }
  const terms: LicenceTerms = {
    licenceId: options.licenceId,
    product: options.product,
    seats: options.seats,
    quota:
      options.quota === undefined || options.period === undefined
        ? null
        : { units: options.quota, period: options.period },
    validFromMs: options.validFrom ?? 0,
    validUntilMs: options.validUntil ?? 0,
    redundancy: options.redundancy === true,
    features: options.feature ?? {},
    serial: options.serial,
    vendor: options.vendor,
    issuedAtMs: options.issuedAt ?? (io.nowMs ?? Date.now)(),
    clusterId: options.clusterId,
  };
  const file = signLicence(terms, { keyId: signingKeyId(options), privateKey });
  if (options.out === '-') {
    io.stdout.write(file);
  } else {
    if (await exists(options.out)) throw new UsageError(`${options.out} exists; choose another --out`);
    await writeFile(options.out, file, { flag: 'wx' });
    io.stdout.write(
      `signed licence ${terms.licenceId} (serial ${terms.serial}) for cluster ${terms.clusterId}: ${options.out}\n`,
    );
  }
  return ExitCode.ok;
}

interface InspectOptions {
  publicKey?: string[];
  json?: boolean;
}

async function inspect(io: IssuerIo, file: string, options: InspectOptions): Promise<number> {
  const text = await readText(file, 'the licence file');
  const envelope = readLicenceEnvelope(text);
  if (!envelope.ok) {
    io.stderr.write(`tandem-issuer: ${file} ${envelope.problem}\n`);
    return ExitCode.failed;
  }
  const payload = readLicencePayload(envelope.envelope.payload);
  const checks: Array<{ key: string; verifies: boolean }> = [];
  for (const keyFile of options.publicKey ?? []) {
    let key: ReturnType<typeof parsePublicKey>;
    try {
      key = parsePublicKey(await readText(keyFile, 'the public key'));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`${keyFile}: ${(error as Error).message}`);
    }
    checks.push({ key: keyFile, verifies: signatureVerifiesWith(text, key) });
  }
  const verified = checks.some((check) => check.verifies);
  const report = {
    keyId: envelope.envelope.keyId,
    payload: payload.ok ? payload.terms : null,
    problem: payload.ok ? null : payload.problem,
    signature: checks.length === 0 ? 'not checked' : verified ? 'valid' : 'invalid',
    checks,
  };
  if (options.json === true) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const lines = [`key id:    ${report.keyId}`];
    if (payload.ok) {
      const terms = payload.terms;
      const time = (ms: number, none: string) => (ms === 0 ? none : new Date(ms).toISOString());
      lines.push(
        `licence:   ${terms.licenceId}`,
        `product:   ${terms.product}`,
        `seats:     ${terms.seats}`,
        `quota:     ${terms.quota === null ? 'none' : `${terms.quota.units} per ${terms.quota.period}`}`,
        `valid:     ${time(terms.validFromMs, 'always')} .. ${time(terms.validUntilMs, 'no end')}`,
        `redundancy: ${terms.redundancy ? 'yes' : 'no'}`,
        `features:  ${
          Object.entries(terms.features)
            .map(([name, value]) => `${name}=${value}`)
            .join(', ') || 'none'
        }`,
        `serial:    ${terms.serial}`,
        `vendor:    ${terms.vendor}`,
        `issued:    ${time(terms.issuedAtMs, 'unknown')}`,
        `cluster:   ${terms.clusterId}`,
      );
    } else {
      lines.push(`payload:   ${payload.problem}`);
    }
    for (const check of checks)
      lines.push(`signature: ${check.verifies ? 'verifies' : 'does NOT verify'} with ${check.key}`);
    if (checks.length === 0) lines.push('signature: not checked (give --public-key)');
    // The payload is the vendor's text: escape anything that could steer a terminal.
    io.stdout.write(`${lines.map(escapeControl).join('\n')}\n`);
  }
  if (!payload.ok) return ExitCode.failed;
  return checks.length > 0 && !verified ? ExitCode.failed : ExitCode.ok;
}

/** Control characters as \xNN, so that printing a file cannot steer the terminal. */
function escapeControl(text: string): string {
  return text.replace(
    /\p{Cc}/gu,
    (character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

function buildProgram(io: IssuerIo, perform: (action: () => Promise<number>) => Promise<void>): Command {
  const program = new Command('tandem-issuer')
    .description("The software vendor's tool: make a signing key, sign licence files, inspect them.")
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError('(run tandem-issuer --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 a file that does not verify or terms the ledger would refuse, 2 usage error.',
    );

  program
    .command('keygen')
    .description('make an Ed25519 key pair: DIR/<id>.key.pem (private, mode 0600) and DIR/<id>.pub.pem')
    .requiredOption('--out <dir>', 'the directory to write the keys to')
    .option('--key-id <id>', 'the key id files will name (default vendor-<fingerprint>)', keyId)
    .action((options: KeygenOptions) => perform(() => keygen(io, options)));

  program
    .command('sign')
    .description('sign a licence file for one cluster')
    .requiredOption('--key <file>', 'the private key (keygen wrote it as <id>.key.pem)')
    .option('--key-id <id>', 'the key id, when the file name does not say it', keyId)
    .requiredOption('--cluster-id <id>', 'the cluster the licence is for (tandemctl status shows it)')
    .requiredOption('--licence-id <id>', 'the licence id')
    .requiredOption('--product <name>', 'the product')
    .requiredOption('--seats <n>', 'seats that may be leased at once', positiveInteger)
    .option('--quota <units>', 'units allowed per period (needs --period)', positiveInteger)
    .option('--period <period>', 'the quota period: day, week or month', period)
    .option('--valid-from <time>', 'ISO 8601 time (or epoch ms) from which the licence is valid', timeMs)
    .option('--valid-until <time>', 'ISO 8601 time (or epoch ms) at which the licence ends', timeMs)
    .option('--redundancy', 'also served by the backup while the main is down')
    .option('--feature <key=value>', 'a feature parameter (repeatable)', feature)
    .requiredOption(
      '--serial <n>',
      'the serial; every new file for the licence needs a higher one',
      positiveInteger,
    )
    .requiredOption('--vendor <name>', "the vendor's name, as the licence should show it")
    .option('--issued-at <time>', 'the issue time (default now)', timeMs)
    .requiredOption('--out <file>', 'the licence file to write (- for standard output)')
    .action((options: SignOptions) => perform(() => signCommand(io, options)));

  program
    .command('inspect <file>')
    .description("show a licence file's terms and whether its signature verifies")
    .option(
      '--public-key <file>',
      'a vendor public key to check the signature with (repeatable)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--json', 'print JSON')
    .action((file: string, options: InspectOptions) => perform(() => inspect(io, file, options)));

  return program;
}

/** Runs tandem-issuer with `argv` (the arguments after the program name) and returns the exit code. */
export async function run(argv: readonly string[], io: IssuerIo): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = buildProgram(io, async (action) => {
    exitCode = await action();
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
      if (error.code === 'commander.help') return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      return ExitCode.usage;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`tandem-issuer: usage error: ${escapeControl(error.message)}\n`);
      return ExitCode.usage;
    }
    if (error instanceof LicenceTermsError) {
      io.stderr.write(
        `tandem-issuer: the ledger would refuse these terms: ${escapeControl(error.message)}\n`,
      );
      return ExitCode.failed;
    }
    throw error;
  }
}
