// A cluster PKI for tandemctl's tests, made once per test run with @tandem/pki (as `tandemctl pki
// init` and `pki issue` make one) in a temporary directory: the scripted admin servers serve TLS
// with a node certificate from it, and tandemctl trusts its CA and proves who runs it with an
// operator's certificate (--ca, --cert, --key), as an operator does.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CertificateRole, PkiDirectory, quietIpServerNameWarning, type TlsFilePaths } from '@tandem/pki';

// The scripted servers listen on 127.0.0.1; Node's warning about an IP as TLS server name is noise.
quietIpServerNameWarning();

export type TlsPaths = TlsFilePaths;

/** The run's PKI directory; tls(role, name) gives a holder's files, issued once. */
export class CliTestPki extends PkiDirectory {
  static override async create(directory: string): Promise<CliTestPki> {
    const { ca, caFile } = await PkiDirectory.newCa(directory, {});
    return new CliTestPki(directory, ca, ca.clusterId, caFile);
  }

  tls(role: CertificateRole, name: string): Promise<TlsPaths> {
    return this.files(role, name);
  }
}

let shared: Promise<CliTestPki> | null = null;

/** The PKI every test of this run shares; its directory goes when the process exits. */
export function testPki(): Promise<CliTestPki> {
  if (shared === null) {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'tandem-cli-pki-'));
    process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
    shared = CliTestPki.create(directory);
  }
  return shared;
}

/** tandemctl's credential flags for a role's certificate. */
export async function credentialFlags(
  role: CertificateRole = 'admin',
  name: string = role,
): Promise<string[]> {
  const files = await (await testPki()).tls(role, name);
  return ['--ca', files.ca, '--cert', files.cert, '--key', files.key];
}
