// A cluster PKI for the server's tests, made as an operator makes one (`tandemctl pki init` and
// `pki issue`): a PkiDirectory of @tandem/pki under the test's temporary directory. Configurations
// name its files, and test clients dial the node over TLS with them, as a deployment does.
import type * as grpc from '@grpc/grpc-js';
import {
  CertificateFiles,
  type CertificateRole,
  channelCredentials,
  type ExpectedServer,
  type IssueExtras,
  PkiDirectory,
  quietIpServerNameWarning,
  type TlsFilePaths,
} from '@tandem/pki';

// Test clients dial 127.0.0.1; Node's warning about an IP as the TLS server name is noise here.
quietIpServerNameWarning();

/** The `tls` section of a node's configuration: CA, certificate and key as file paths. */
export type TlsPaths = TlsFilePaths;

export class ServerTestPki extends PkiDirectory {
  private readonly opened: CertificateFiles[] = [];

  static override async create(directory: string): Promise<ServerTestPki> {
    const { ca, caFile } = await PkiDirectory.newCa(directory, {});
    return new ServerTestPki(directory, ca, ca.clusterId, caFile);
  }

  /** The files of `tandem://<role>/<name>` (`<role>-<name>.crt/.key`), issued once. */
  tls(role: CertificateRole, name: string, extras: IssueExtras = {}): Promise<TlsPaths> {
    return this.files(role, name, extras);
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
    const files = new CertificateFiles(await this.files(role, name), { watchIntervalMs: 0 });
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
}
