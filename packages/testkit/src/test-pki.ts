// A cluster PKI for tests, the demo and the benchmarks: a CA made with @tandem/pki (as
// `tandemctl pki init` makes one) and certificates issued on first use, as files in one directory.
// Every real-process test runs with TLS and identities on, as a user deploys Tandem; this is where
// their credentials come from.
import path from 'node:path';
import type { ClientSettingsInput } from '@tandem/client';
import { type CertificateRole, type IssueExtras, PkiDirectory, type TlsFilePaths } from '@tandem/pki';

export type ClientRole = Extract<CertificateRole, 'workstation' | 'viewer' | 'operator' | 'admin'>;

/** A holder's files (with the CA), as @tandem/pki's PkiDirectory gives them. */
export type IssuedFiles = TlsFilePaths;

/** How a test helper reaches a cluster: its credentials, as client settings take them. */
export type ClusterAccess = Pick<ClientSettingsInput, 'tls' | 'token' | 'insecure'>;

/** The access of a cluster that runs with insecure: true. */
export const INSECURE_ACCESS: ClusterAccess = { insecure: true };

/**
 * The cluster's PKI directory, with what tests need on top: client settings, tandemctl flags and
 * access for a role, the tls section of a node's configuration.
 */
export class TestPki extends PkiDirectory {
  /** An admin's access, issued at creation so that helpers can use it without waiting. */
  admin: ClusterAccess = INSECURE_ACCESS;

  static override async create(directory: string, options: { clusterId?: string } = {}): Promise<TestPki> {
    const { ca, caFile } = await PkiDirectory.newCa(directory, options);
    const pki = new TestPki(directory, ca, ca.clusterId, caFile);
    pki.admin = await pki.access('admin');
    return pki;
  }

  /** A role's access (its certificate with the CA). */
  async access(role: ClientRole = 'admin', name: string = role): Promise<ClusterAccess> {
    return { tls: await this.files(role, name) };
  }

  /** A certificate naming `tandem://<role>/<name>`, issued once and kept (files `<role>-<name>.crt/.key`). */
  certificate(role: CertificateRole, name: string, extras: IssueExtras = {}): Promise<TlsFilePaths> {
    return this.files(role, name, extras);
  }

  node(id: string, extras: IssueExtras = {}): Promise<TlsFilePaths> {
    return this.files('node', id, extras);
  }

  witness(id: string, extras: IssueExtras = {}): Promise<TlsFilePaths> {
    return this.files('witness', id, extras);
  }

  /** The `tls` section of a data node's or the witness's configuration. */
  async serverTls(
    role: 'node' | 'witness',
    id: string,
    extras: IssueExtras = {},
  ): Promise<Record<string, unknown>> {
    return { ...(await this.files(role, id, extras)) };
  }

  /** Client settings (for connect() and AdminClient) with this role's certificate. */
  async settings(
    servers: string[],
    role: ClientRole = 'admin',
    name: string = role,
    extra: Partial<ClientSettingsInput> = {},
  ): Promise<ClientSettingsInput> {
    return {
      servers,
      ...(role === 'workstation' ? { workstationId: name } : {}),
      ...extra,
      tls: await this.files(role, name),
    };
  }

  /** tandemctl's credential flags for this role. */
  async tandemctlArgs(role: ClientRole = 'admin', name: string = role): Promise<string[]> {
    const files = await this.files(role, name);
    return ['--ca', files.ca, '--cert', files.cert, '--key', files.key];
  }
}

/** Where a cluster's PKI lives under its directory. */
export function pkiDirectory(directory: string): string {
  return path.join(directory, 'pki');
}
