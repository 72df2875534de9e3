// A cluster PKI for tests, the demo and the benchmarks: a CA made with @tandem/pki (as
// `tandemctl pki init` makes one) and certificates issued on first use, as files in one directory.
// Every real-process test runs with TLS and identities on, as a user deploys Tandem; this is where
// their credentials come from.
import path from 'node:path';
import type { ClientSettingsInput } from '@tandem/client';
import {
  type CertificateRole,
  createClusterCa,
  issueCertificate,
  type PemPair,
  writePkiFiles,
} from '@tandem/pki';

export type ClientRole = Extract<CertificateRole, 'workstation' | 'viewer' | 'operator' | 'admin'>;

export interface IssuedFiles {
  cert: string;
  key: string;
}

/** How a test helper reaches a cluster: its credentials, as client settings take them. */
export type ClusterAccess = Pick<ClientSettingsInput, 'tls' | 'token' | 'insecure'>;

/** The access of a cluster that runs with insecure: true. */
export const INSECURE_ACCESS: ClusterAccess = { insecure: true };

export interface IssueExtras {
  /** Host names and addresses of a node's certificate (default localhost and 127.0.0.1). */
  hosts?: readonly string[];
  notBefore?: Date;
  notAfter?: Date;
}

export class TestPki {
  private readonly issued = new Map<string, Promise<IssuedFiles>>();

  /** An admin's access, issued at creation so that helpers can use it without waiting. */
  admin: ClusterAccess = INSECURE_ACCESS;

  private constructor(
    readonly directory: string,
    private readonly ca: PemPair,
    readonly clusterId: string,
    /** The CA certificate (PEM file) every node and client trusts. */
    readonly caFile: string,
  ) {}

  static async create(directory: string, options: { clusterId?: string } = {}): Promise<TestPki> {
    const ca = await createClusterCa(options.clusterId === undefined ? {} : { clusterId: options.clusterId });
    const files = await writePkiFiles(directory, 'ca', ca);
    const pki = new TestPki(directory, ca, ca.clusterId, files.certificatePath);
    pki.admin = await pki.access('admin');
    return pki;
  }

  /** A role's access (its certificate with the CA). */
  async access(role: ClientRole = 'admin', name: string = role): Promise<ClusterAccess> {
    const files = await this.certificate(role, name);
    return { tls: { ca: this.caFile, cert: files.cert, key: files.key } };
  }

  /** A certificate naming `tandem://<role>/<name>`, issued once and kept (files `<role>-<name>.crt/.key`). */
  certificate(role: CertificateRole, name: string, extras: IssueExtras = {}): Promise<IssuedFiles> {
    const key = `${role}-${name}`;
    let issued = this.issued.get(key);
    if (issued === undefined) {
      issued = this.issue(key, role, name, extras);
      this.issued.set(key, issued);
    }
    return issued;
  }

  /** Issues a fresh certificate (not kept), e.g. an expired one, under a file name of its own. */
  async issueExtra(
    fileName: string,
    role: CertificateRole,
    name: string,
    extras: IssueExtras = {},
  ): Promise<IssuedFiles> {
    return this.issue(fileName, role, name, extras);
  }

  /** Issues the certificate again over the same files: a rotation (the old one stays valid). */
  async rotate(role: CertificateRole, name: string, extras: IssueExtras = {}): Promise<IssuedFiles> {
    const key = `${role}-${name}`;
    const issued = this.issue(key, role, name, extras);
    this.issued.set(key, issued);
    return issued;
  }

  node(id: string, extras: IssueExtras = {}): Promise<IssuedFiles> {
    return this.certificate('node', id, extras);
  }

  witness(id: string, extras: IssueExtras = {}): Promise<IssuedFiles> {
    return this.certificate('witness', id, extras);
  }

  /** The `tls` section of a data node's or the witness's configuration. */
  async serverTls(
    role: 'node' | 'witness',
    id: string,
    extras: IssueExtras = {},
  ): Promise<Record<string, unknown>> {
    const files = await this.certificate(role, id, extras);
    return { ca: this.caFile, cert: files.cert, key: files.key };
  }

  /** Client settings (for connect() and AdminClient) with this role's certificate. */
  async settings(
    servers: string[],
    role: ClientRole = 'admin',
    name: string = role,
    extra: Partial<ClientSettingsInput> = {},
  ): Promise<ClientSettingsInput> {
    const files = await this.certificate(role, name);
    return {
      servers,
      ...(role === 'workstation' ? { workstationId: name } : {}),
      ...extra,
      tls: { ca: this.caFile, cert: files.cert, key: files.key },
    };
  }

  /** tandemctl's credential flags for this role. */
  async tandemctlArgs(role: ClientRole = 'admin', name: string = role): Promise<string[]> {
    const files = await this.certificate(role, name);
    return ['--ca', this.caFile, '--cert', files.cert, '--key', files.key];
  }

  private async issue(
    fileName: string,
    role: CertificateRole,
    name: string,
    extras: IssueExtras,
  ): Promise<IssuedFiles> {
    const pair = await issueCertificate(this.ca, {
      role,
      name,
      ...(extras.hosts === undefined ? {} : { hosts: extras.hosts }),
      ...(extras.notBefore === undefined ? {} : { notBefore: extras.notBefore }),
      ...(extras.notAfter === undefined ? {} : { notAfter: extras.notAfter }),
    });
    const files = await writePkiFiles(this.directory, fileName, pair);
    return { cert: files.certificatePath, key: files.keyPath };
  }
}

/** Where a cluster's PKI lives under its directory. */
export function pkiDirectory(directory: string): string {
  return path.join(directory, 'pki');
}
