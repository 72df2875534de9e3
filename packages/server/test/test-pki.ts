// A cluster PKI for the server's tests, made as an operator makes one (`tandemctl pki init` and
// `pki issue`): a CA from @tandem/pki and certificates written as PEM files under the test's
// temporary directory. Configurations name these files, and test clients dial the node over TLS
// with them, as a deployment does.
import type * as grpc from '@grpc/grpc-js';
import {
  CertificateFiles,
  type CertificateRole,
  channelCredentials,
  createClusterCa,
  type ExpectedServer,
  issueCertificate,
  type PemPair,
  quietIpServerNameWarning,
  writePkiFiles,
} from '@tandem/pki';

// Test clients dial 127.0.0.1; Node's warning about an IP as the TLS server name is noise here.
quietIpServerNameWarning();

/** The `tls` section of a node's configuration: CA, certificate and key as file paths. */
export interface TlsPaths {
  ca: string;
  cert: string;
  key: string;
}

export interface IssueExtras {
  hosts?: readonly string[];
  notBefore?: Date;
  notAfter?: Date;
}

export class ServerTestPki {
  private readonly issued = new Map<string, Promise<TlsPaths>>();
  private readonly opened: CertificateFiles[] = [];

  private constructor(
    readonly directory: string,
    private readonly ca: PemPair,
    readonly caFile: string,
  ) {}

  static async create(directory: string): Promise<ServerTestPki> {
    const ca = await createClusterCa();
    const files = await writePkiFiles(directory, 'ca', ca);
    return new ServerTestPki(directory, ca, files.certificatePath);
  }

  /** The files of `tandem://<role>/<name>` (`<role>-<name>.crt/.key`), issued once. */
  tls(role: CertificateRole, name: string, extras: IssueExtras = {}): Promise<TlsPaths> {
    const fileName = `${role}-${name}`;
    let issued = this.issued.get(fileName);
    if (issued === undefined) {
      issued = this.issue(fileName, role, name, extras);
      this.issued.set(fileName, issued);
    }
    return issued;
  }

  /** A certificate under a file name of its own, not kept (an expired one, a second CA's...). */
  issueExtra(fileName: string, role: CertificateRole, name: string, extras: IssueExtras = {}) {
    return this.issue(fileName, role, name, extras);
  }

  /**
   * Channel credentials of `tandem://<role>/<name>` towards a server that must be `server` (a
   * node, or any node of the cluster); closed with close().
   */
  async credentials(
    role: CertificateRole,
    name: string,
    server: ExpectedServer = { role: 'any-node' },
  ): Promise<grpc.ChannelCredentials> {
    const paths = await this.tls(role, name);
    const files = new CertificateFiles(paths, { watchIntervalMs: 0 });
    this.opened.push(files);
    return channelCredentials(files, server);
  }

  /** Channel credentials with the CA only: TLS, but no client certificate. */
  anonymousCredentials(): grpc.ChannelCredentials {
    const files = new CertificateFiles({ ca: this.caFile }, { watchIntervalMs: 0 });
    this.opened.push(files);
    return channelCredentials(files, { role: 'any-node' });
  }

  close(): void {
    for (const files of this.opened.splice(0)) files.close();
  }

  private async issue(
    fileName: string,
    role: CertificateRole,
    name: string,
    extras: IssueExtras,
  ): Promise<TlsPaths> {
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
