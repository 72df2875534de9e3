// A cluster PKI for the client's tests, made once per test run with @tandem/pki (as `tandemctl pki
// init` and `pki issue` make one) in a temporary directory: the scripted servers serve TLS with a
// node certificate from it, and the clients under test trust its CA and prove who they are with
// their own certificates, as a deployed workstation does.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CertificateRole, PkiDirectory, quietIpServerNameWarning, type TlsFilePaths } from '@tandem/pki';

// The scripted servers listen on 127.0.0.1; Node's warning about an IP as TLS server name is noise.
quietIpServerNameWarning();

export type TlsPaths = TlsFilePaths;

/** The run's PKI directory; tls(role, name) gives a holder's files, issued once. */
export class ClientTestPki extends PkiDirectory {
  static override async create(directory: string): Promise<ClientTestPki> {
    const { ca, caFile } = await PkiDirectory.newCa(directory, {});
    return new ClientTestPki(directory, ca, ca.clusterId, caFile);
  }

  tls(role: CertificateRole, name: string): Promise<TlsPaths> {
    return this.files(role, name);
  }
}

let shared: Promise<ClientTestPki> | null = null;

/** The PKI every test of this run shares; its directory goes when the process exits. */
export function testPki(): Promise<ClientTestPki> {
  if (shared === null) {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'tandem-client-pki-'));
    process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
    shared = ClientTestPki.create(directory);
  }
  return shared;
}
