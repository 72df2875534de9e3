// The files of the PKI: `<name>.crt` (0644) and `<name>.key` (0600) in a directory, the CA as
// `ca.crt` and `ca.key`. Each file is written to a temporary name and renamed into place, so that a
// server watching its files for rotation never reads half of one.
import { createPrivateKey, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { verifyKeyPair } from './check.js';
import { PkiError } from './errors.js';
import { clusterIdOfCa, NAME_PATTERN } from './identity.js';
import type { PemPair } from './issue.js';
import { isCaCertificate, messageOf, parseCertificate } from './read.js';

export const CA_NAME = 'ca';

export interface PkiFiles {
  certificatePath: string;
  keyPath: string;
}

export interface LoadedCa extends PemPair {
  /** The cluster id the CA carries, or null for a CA from elsewhere (an enterprise CA). */
  clusterId: string | null;
  certificatePath: string;
  keyPath: string;
}

export function pkiFilePaths(directory: string, name: string): PkiFiles {
  if (!NAME_PATTERN.test(name)) {
    throw new PkiError('bad_argument', 'file name must be 1-128 characters of A-Z a-z 0-9 . _ -', 'name');
  }
  return {
    certificatePath: path.join(directory, `${name}.crt`),
    keyPath: path.join(directory, `${name}.key`),
  };
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, { mode, flag: 'wx' });
    // The umask may have narrowed the mode; a certificate must stay readable (0644).
    await chmod(temporary, mode);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new PkiError('io_error', `cannot write ${file}: ${messageOf(error)}`, file, { cause: error });
  }
}

/**
 * Writes `<name>.crt` and `<name>.key` in `directory` (created 0700 if missing). Replaces existing
 * files (a rotation) unless `overwrite` is false, which refuses with `exists`.
 */
export async function writePkiFiles(
  directory: string,
  name: string,
  pair: PemPair,
  options: { overwrite?: boolean } = {},
): Promise<PkiFiles> {
  const files = pkiFilePaths(directory, name);
  if (options.overwrite === false) {
    for (const file of [files.certificatePath, files.keyPath]) {
      if (await exists(file)) throw new PkiError('exists', `${file} exists`, file);
    }
  }
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new PkiError('io_error', `cannot create ${directory}: ${messageOf(error)}`, directory, {
      cause: error,
    });
  }
  // The key first: a watcher that sees the new certificate then finds the key that goes with it.
  await writeAtomically(files.keyPath, pair.privateKeyPem, 0o600);
  await writeAtomically(files.certificatePath, pair.certificatePem, 0o644);
  return files;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException)?.code === 'ENOENT';
    throw new PkiError(
      missing ? 'ca_missing' : 'io_error',
      `cannot read ${file}: ${messageOf(error)}`,
      file,
      {
        cause: error,
      },
    );
  }
}

/** Reads and checks `ca.crt` and `ca.key` from `directory`. */
export async function loadCa(directory: string): Promise<LoadedCa> {
  const { certificatePath, keyPath } = pkiFilePaths(directory, CA_NAME);
  const certificatePem = await readText(certificatePath);
  const privateKeyPem = await readText(keyPath);
  const certificate = parseCertificate(certificatePem);
  if (!isCaCertificate(certificate)) {
    throw new PkiError('not_a_ca', `${certificatePath} is not a CA certificate`, certificatePath);
  }
  try {
    createPrivateKey(privateKeyPem);
  } catch (error) {
    throw new PkiError('bad_key', `${keyPath} is not a readable PEM private key`, keyPath, { cause: error });
  }
  if (!verifyKeyPair(certificatePem, privateKeyPem)) {
    throw new PkiError('key_mismatch', `${keyPath} is not the private key of ${certificatePath}`, keyPath);
  }
  return {
    certificatePem,
    privateKeyPem,
    clusterId: clusterIdOfCa(certificatePem),
    certificatePath,
    keyPath,
  };
}
