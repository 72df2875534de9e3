// A directory of PKI files as `tandemctl pki init` and `pki issue` leave it: `ca.crt`/`ca.key` and a
// certificate and key per holder, issued on first use. The programmatic side of the same files, for
// whatever makes a PKI in code: the tests of every package, the demo, `pnpm cluster`, the bench.

import { writePkiFiles } from './files.js';
import type { CertificateRole } from './identity.js';
import { createClusterCa, issueCertificate, type PemPair } from './issue.js';

/** A holder's files: the CA that the other side trusts, its certificate and its key. */
export interface TlsFilePaths {
  ca: string;
  cert: string;
  key: string;
}

export interface IssueExtras {
  /** Host names and addresses (a node's or the witness's; default localhost and 127.0.0.1). */
  hosts?: readonly string[];
  notBefore?: Date;
  notAfter?: Date;
}

export class PkiDirectory {
  private readonly issued = new Map<string, Promise<TlsFilePaths>>();

  protected constructor(
    readonly directory: string,
    private readonly ca: PemPair,
    /** The cluster id the CA carries (`tandem://cluster/<id>`). */
    readonly clusterId: string,
    /** The CA certificate (PEM file) every node and client trusts. */
    readonly caFile: string,
  ) {}

  /** A new cluster CA in `directory` (made if missing). */
  static async create(directory: string, options: { clusterId?: string } = {}): Promise<PkiDirectory> {
    const { ca, caFile } = await PkiDirectory.newCa(directory, options);
    return new PkiDirectory(directory, ca, ca.clusterId, caFile);
  }

  /** For subclasses: makes the CA and writes its files. */
  protected static async newCa(
    directory: string,
    options: { clusterId?: string },
  ): Promise<{ ca: PemPair & { clusterId: string }; caFile: string }> {
    const ca = await createClusterCa(options.clusterId === undefined ? {} : { clusterId: options.clusterId });
    const files = await writePkiFiles(directory, 'ca', ca);
    return { ca, caFile: files.certificatePath };
  }

  /** The files of `tandem://<role>/<name>` (`<role>-<name>.crt/.key`), issued once and kept. */
  files(role: CertificateRole, name: string, extras: IssueExtras = {}): Promise<TlsFilePaths> {
    const fileName = `${role}-${name}`;
    let issued = this.issued.get(fileName);
    if (issued === undefined) {
      issued = this.issue(fileName, role, name, extras);
      this.issued.set(fileName, issued);
    }
    return issued;
  }

  /** A certificate under a file name of its own, not kept (an expired one, say). */
  issueExtra(
    fileName: string,
    role: CertificateRole,
    name: string,
    extras: IssueExtras = {},
  ): Promise<TlsFilePaths> {
    return this.issue(fileName, role, name, extras);
  }

  /** Issues the certificate again over the same files: a rotation (the old one stays valid). */
  rotate(role: CertificateRole, name: string, extras: IssueExtras = {}): Promise<TlsFilePaths> {
    const fileName = `${role}-${name}`;
    const issued = this.issue(fileName, role, name, extras);
    this.issued.set(fileName, issued);
    return issued;
  }

  private async issue(
    fileName: string,
    role: CertificateRole,
    name: string,
    extras: IssueExtras,
  ): Promise<TlsFilePaths> {
    const pair = await issueCertificate(this.ca, {
      role,
      name,
      ...(extras.hosts === undefined ? {} : { hosts: extras.hosts }),
      ...(extras.notBefore === undefined ? {} : { notBefore: extras.notBefore }),
      ...(extras.notAfter === undefined ? {} : { notAfter: extras.notAfter }),
    });
    const files = await writePkiFiles(this.directory, fileName, pair);
    return { ca: this.caFile, cert: files.certificatePath, key: files.keyPath };
  }
}
