// A cluster PKI for tandemctl's tests, made once per test run with @tandem/pki (as `tandemctl pki
// init` and `pki issue` make one) in a temporary directory: the scripted admin servers serve TLS
// with a node certificate from it, and tandemctl trusts its CA and proves who runs it with an
// operator's certificate (--ca, --cert, --key), as an operator does.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type CertificateRole,
  createClusterCa,
  issueCertificate,
  type PemPair,
  quietIpServerNameWarning,
  writePkiFiles,
} from '@tandem/pki';

// The scripted servers listen on 127.0.0.1; Node's warning about an IP as TLS server name is noise.
quietIpServerNameWarning();

export interface TlsPaths {
  ca: string;
  cert: string;
  key: string;
}

export class CliTestPki {
  private readonly issued = new Map<string, Promise<TlsPaths>>();

  private constructor(
    readonly directory: string,
    private readonly ca: PemPair,
    readonly caFile: string,
  ) {}

  static async create(directory: string): Promise<CliTestPki> {
    const ca = await createClusterCa();
    const files = await writePkiFiles(directory, 'ca', ca);
    return new CliTestPki(directory, ca, files.certificatePath);
  }

  /** CA, certificate and key of `tandem://<role>/<name>`, issued once (`<role>-<name>.crt/.key`). */
  tls(role: CertificateRole, name: string): Promise<TlsPaths> {
    const fileName = `${role}-${name}`;
    let issued = this.issued.get(fileName);
    if (issued === undefined) {
      issued = (async () => {
        const pair = await issueCertificate(this.ca, { role, name });
        const files = await writePkiFiles(this.directory, fileName, pair);
        return { ca: this.caFile, cert: files.certificatePath, key: files.keyPath };
      })();
      this.issued.set(fileName, issued);
    }
    return issued;
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
