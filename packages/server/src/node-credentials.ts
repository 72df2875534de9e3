// A node's transport security, from its configuration: the credentials of its listeners and of its
// links to the other members, on certificate files that reload without a restart (on SIGHUP, and
// when a file changes). With `insecure: true` every one of them is plaintext, and the node says so
// at start and every minute, so that nobody runs that way by accident.
import * as grpc from '@grpc/grpc-js';
import { CertificateFileError, CertificateFiles, channelCredentials, serverCredentials } from '@tandem/pki';
import { ConfigError, type TandemConfig, type TlsFiles } from './config.js';
import type { Logger } from './logger.js';

/** How often an insecure node repeats its warning. */
export const INSECURE_WARNING_INTERVAL_MS = 60_000;
/** A certificate that expires within this is warned about at start, on reload and once a day. */
export const CERTIFICATE_EXPIRY_WARNING_MS = 14 * 24 * 3_600_000;
const EXPIRY_CHECK_INTERVAL_MS = 24 * 3_600_000;

export class NodeCredentials {
  private readonly timers: NodeJS.Timeout[] = [];

  private constructor(
    private readonly logger: Logger,
    /** null when insecure. */
    private readonly client: { files: CertificateFiles; requireClientCertificates: boolean } | null,
    private readonly peer: CertificateFiles | null,
  ) {}

  /** Reads every certificate file now; a file that is missing or does not fit is a ConfigError. */
  static load(config: TandemConfig, logger: Logger): NodeCredentials {
    const { security } = config;
    if (security.insecure || security.client === null || security.peer === null) {
      const credentials = new NodeCredentials(logger, null, null);
      credentials.warnInsecure();
      const timer = setInterval(() => credentials.warnInsecure(), INSECURE_WARNING_INTERVAL_MS);
      timer.unref();
      credentials.timers.push(timer);
      return credentials;
    }
    const client = open(security.client, 'tls.client', logger);
    const peer = open(security.peer, 'tls.peer', logger);
    const credentials = new NodeCredentials(
      logger,
      { files: client, requireClientCertificates: security.client.clientCertificates === 'required' },
      peer,
    );
    credentials.checkExpiry();
    const timer = setInterval(() => credentials.checkExpiry(), EXPIRY_CHECK_INTERVAL_MS);
    timer.unref();
    credentials.timers.push(timer);
    return credentials;
  }

  get insecure(): boolean {
    return this.client === null;
  }

  /** When the certificates in use expire, in ms since the epoch (for the metrics); null when insecure. */
  notAfterMs(): { client: number | null; peer: number | null } {
    return { client: this.client?.files.notAfterMs ?? null, peer: this.peer?.notAfterMs ?? null };
  }

  /** The client port (and the witness's one port): TLS, client certificates as configured. */
  clientListener(): grpc.ServerCredentials {
    if (this.client === null) return grpc.ServerCredentials.createInsecure();
    return serverCredentials(this.client.files, this.client.requireClientCertificates);
  }

  /**
   * The client port's certificate files and whether it requires client certificates, for the HTTP
   * port (http-port.ts), which serves TLS on the same files and follows their reloads; null when
   * insecure.
   */
  clientTls(): { files: CertificateFiles; requireClientCertificates: boolean } | null {
    return this.client;
  }

  /** The peer port: mutual TLS, a certificate from the cluster CA required by the handshake. */
  peerListener(): grpc.ServerCredentials {
    if (this.peer === null) return grpc.ServerCredentials.createInsecure();
    return serverCredentials(this.peer, true);
  }

  /** The link to a data node's peer port, or to the witness: its certificate must name it. */
  toMember(role: 'node' | 'witness', id: string): grpc.ChannelCredentials {
    if (this.peer === null) return grpc.credentials.createInsecure();
    return channelCredentials(this.peer, { role, name: id });
  }

  /** SIGHUP: read every file again; a set that does not fit is refused and the old one kept. */
  reload(): void {
    if (this.client === null || this.peer === null) {
      this.logger.info('reload: nothing to reload, this node runs without TLS (insecure: true)');
      return;
    }
    const client = this.client.files.reload();
    const peer = this.peer.reload();
    this.logger.info('reload: certificate files read again', { clientChanged: client, peerChanged: peer });
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.client?.files.close();
    this.peer?.close();
  }

  private warnInsecure(): void {
    this.logger.warn(
      'INSECURE: this node runs without TLS and without authentication (insecure: true). Anyone who reaches its ports can mint seats, read every lease and forge replication messages. Use it only on a trusted test network.',
      { insecure: true },
    );
  }

  private checkExpiry(): void {
    const now = Date.now();
    for (const [listener, files] of [
      ['client', this.client?.files],
      ['peer', this.peer],
    ] as const) {
      const notAfterMs = files?.notAfterMs ?? null;
      if (notAfterMs === null) continue;
      if (notAfterMs <= now) {
        this.logger.error('certificate expired', { listener, expiredAt: new Date(notAfterMs).toISOString() });
      } else if (notAfterMs - now <= CERTIFICATE_EXPIRY_WARNING_MS) {
        this.logger.warn('certificate expires soon', {
          listener,
          expiresAt: new Date(notAfterMs).toISOString(),
          days: Math.floor((notAfterMs - now) / (24 * 3_600_000)),
        });
      }
    }
  }
}

function open(files: TlsFiles, prefix: string, logger: Logger): CertificateFiles {
  try {
    return new CertificateFiles(files, {
      fields: { ca: `${prefix}.ca`, cert: `${prefix}.cert`, key: `${prefix}.key` },
      onError: (error) =>
        logger.error('certificate reload refused: the files in use stay in use', { error: error.message }),
      onReload: ({ notAfterMs }) =>
        logger.info('certificate files reloaded', {
          listener: prefix,
          expiresAt: notAfterMs === null ? null : new Date(notAfterMs).toISOString(),
        }),
    });
  } catch (error) {
    if (error instanceof CertificateFileError)
      throw new ConfigError(error.field, error.message.slice(error.field.length + 2));
    throw error;
  }
}
