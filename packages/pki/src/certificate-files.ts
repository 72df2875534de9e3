// Certificates and keys from PEM files, for gRPC, reloaded without a restart: on reload() (tandemd
// calls it on SIGHUP) and when a file changes. A new set is taken only once it is whole — the
// certificate parses, the key matches it, the CA parses — so a rotation that writes the certificate
// and the key one after the other never leaves a listener with a pair that does not match: until
// the second file lands, the old pair stays in use, and calls go on.
//
// grpc-js reads identities and CAs through its CertificateProvider interface, which this class
// implements; serverCredentials and channelCredentials build credentials on it.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { PeerCertificate } from 'node:tls';
import { checkServerIdentity as checkHostName } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { type CertificateIdentity, type CertificateRole, identityFromCertificate } from './identity.js';

type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/** Which files, as paths; cert and key are absent for a client that proves itself with a token. */
export interface CertificatePaths {
  ca: string;
  cert?: string | undefined;
  key?: string | undefined;
}

/** A file that cannot be used; `field` is the name the caller gave the path (a config key). */
export class CertificateFileError extends Error {
  readonly code = 'invalid_certificate_file';
  readonly retryable = false;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'CertificateFileError';
  }
}

interface Loaded {
  ca: Buffer;
  cert: Buffer | null;
  key: Buffer | null;
  /** The leaf's expiry, for warnings; null without a certificate. */
  notAfterMs: number | null;
  /** What was read, to tell a real change from a touched file. */
  fingerprint: string;
}

export interface CertificateFilesOptions {
  /** Names of the fields in messages (e.g. `tls.peer.cert`); defaults to ca, cert, key. */
  fields?: { ca: string; cert: string; key: string };
  /** How often the files are polled for changes; 0 turns watching off. */
  watchIntervalMs?: number;
  /** A reload was refused (the old set stays in use). */
  onError?: (error: CertificateFileError) => void;
  /** A new set is in use. */
  onReload?: (described: { notAfterMs: number | null }) => void;
}

/** Polling, not fs.watch: a rename over the file (how rotations usually land) keeps working. */
const DEFAULT_WATCH_INTERVAL_MS = 1000;
/** Files larger than this are not PEM files anyone meant: refuse rather than read. */
const MAX_PEM_BYTES = 1024 * 1024;

export class CertificateFiles implements grpc.experimental.CertificateProvider {
  private loaded: Loaded;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private readonly watched: string[] = [];
  private reloadTimer: NodeJS.Timeout | null = null;
  private readonly fields: { ca: string; cert: string; key: string };

  /** Reads and checks the files now; throws CertificateFileError naming the field if they are unusable. */
  constructor(
    private readonly paths: CertificatePaths,
    private readonly options: CertificateFilesOptions = {},
  ) {
    this.fields = options.fields ?? { ca: 'ca', cert: 'cert', key: 'key' };
    if ((paths.cert === undefined) !== (paths.key === undefined)) {
      throw new CertificateFileError(
        paths.cert === undefined ? this.fields.cert : this.fields.key,
        'a certificate and its key go together: give both or neither',
      );
    }
    this.loaded = this.read();
    const intervalMs = options.watchIntervalMs ?? DEFAULT_WATCH_INTERVAL_MS;
    if (intervalMs > 0) {
      for (const file of [paths.ca, paths.cert, paths.key]) {
        if (file === undefined || this.watched.includes(file)) continue;
        this.watched.push(file);
        watch(file, intervalMs, this.onChange);
      }
    }
  }

  get hasIdentity(): boolean {
    return this.loaded.cert !== null;
  }

  /** Whom the certificate in use names (`tandem://<role>/<name>`); null without one or a Tandem URI. */
  get identity(): Readonly<CertificateIdentity> | null {
    return this.loaded.cert === null ? null : identityFromCertificate(this.loaded.cert.toString('utf8'));
  }

  /** When this node's (or client's) certificate expires; null without one. */
  get notAfterMs(): number | null {
    return this.loaded.notAfterMs;
  }

  /**
   * Reads the files again. Returns true when a new, different set is now in use; false when
   * nothing changed or the new files were refused (onError says why; the old set stays).
   */
  reload(): boolean {
    let next: Loaded;
    try {
      next = this.read();
    } catch (error) {
      if (error instanceof CertificateFileError) {
        this.options.onError?.(error);
        return false;
      }
      throw error;
    }
    if (next.fingerprint === this.loaded.fingerprint) return false;
    this.loaded = next;
    for (const listener of this.caListeners) listener({ caCertificate: next.ca });
    if (next.cert !== null && next.key !== null) {
      for (const listener of this.identityListeners)
        listener({ certificate: next.cert, privateKey: next.key });
    }
    this.options.onReload?.({ notAfterMs: next.notAfterMs });
    return true;
  }

  close(): void {
    if (this.reloadTimer !== null) clearTimeout(this.reloadTimer);
    for (const file of this.watched) unwatch(file, this.onChange);
    this.watched.length = 0;
  }

  private readonly onChange = () => this.scheduleReload();

  // grpc-js's CertificateProvider. Listeners hear the current set on the next turn, not at once:
  // grpc-js registers the watcher that uses it only after adding the listener.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    queueMicrotask(() => {
      if (this.caListeners.has(listener)) listener({ caCertificate: this.loaded.ca });
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => {
      const { cert, key } = this.loaded;
      if (this.identityListeners.has(listener)) {
        listener(cert === null || key === null ? null : { certificate: cert, privateKey: key });
      }
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  /** Several changes in a row (a certificate, then its key) become one reload. */
  private scheduleReload(): void {
    if (this.reloadTimer !== null) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      this.reload();
    }, 200);
    this.reloadTimer.unref();
  }

  private read(): Loaded {
    const ca = readPem(this.paths.ca, this.fields.ca);
    const authorities = parseCertificates(ca, this.fields.ca);
    if (this.paths.cert === undefined || this.paths.key === undefined) {
      return { ca, cert: null, key: null, notAfterMs: null, fingerprint: ca.toString('base64') };
    }
    const cert = readPem(this.paths.cert, this.fields.cert);
    const key = readPem(this.paths.key, this.fields.key);
    const [leaf] = parseCertificates(cert, this.fields.cert);
    if (leaf === undefined) throw new CertificateFileError(this.fields.cert, 'holds no certificate');
    let privateKey: ReturnType<typeof createPrivateKey>;
    try {
      privateKey = createPrivateKey(key);
    } catch (error) {
      throw new CertificateFileError(
        this.fields.key,
        `is not a PEM private key (${(error as Error).message})`,
      );
    }
    if (!leaf.checkPrivateKey(privateKey)) {
      throw new CertificateFileError(
        this.fields.key,
        `does not belong to the certificate in ${this.paths.cert}`,
      );
    }
    if (!authorities.some((authority) => leaf.checkIssued(authority) && leaf.verify(authority.publicKey))) {
      throw new CertificateFileError(this.fields.cert, `is not issued by the CA in ${this.paths.ca}`);
    }
    const notAfterMs = Date.parse(leaf.validTo);
    return {
      ca,
      cert,
      key,
      notAfterMs: Number.isFinite(notAfterMs) ? notAfterMs : null,
      fingerprint: [ca, cert, key].map((part) => part.toString('base64')).join('.'),
    };
  }
}

/**
 * One poller per file for the whole process, however many CertificateFiles watch it (a process with
 * many workstation clients shares one CA file): Node's watchFile keeps one StatWatcher per path,
 * and unwatchFile without a listener would stop it for every one of them.
 */
const watchers = new Map<string, Set<() => void>>();

function watch(file: string, intervalMs: number, listener: () => void): void {
  let listeners = watchers.get(file);
  if (listeners === undefined) {
    const created = new Set<() => void>();
    listeners = created;
    watchers.set(file, created);
    watchFile(file, { interval: intervalMs, persistent: false }, () => {
      for (const each of [...created]) each();
    });
  }
  listeners.add(listener);
}

function unwatch(file: string, listener: () => void): void {
  const listeners = watchers.get(file);
  if (listeners === undefined) return;
  listeners.delete(listener);
  if (listeners.size === 0) {
    watchers.delete(file);
    unwatchFile(file);
  }
}

function readPem(file: string, field: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new CertificateFileError(field, `cannot read "${file}" (${(error as Error).message})`);
  }
  if (bytes.byteLength > MAX_PEM_BYTES)
    throw new CertificateFileError(field, `"${file}" is larger than 1 MiB`);
  if (!bytes.includes('-----BEGIN ')) throw new CertificateFileError(field, `"${file}" is not a PEM file`);
  return bytes;
}

/** Every certificate in a PEM bundle; at least one, or a CertificateFileError. */
function parseCertificates(bundle: Buffer, field: string): X509Certificate[] {
  const blocks =
    bundle.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new CertificateFileError(field, 'holds no PEM certificate');
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new CertificateFileError(
        field,
        `holds a certificate that does not parse (${(error as Error).message})`,
      );
    }
  });
}

/**
 * Server credentials on files that reload. requireClientCertificates: the TLS handshake refuses a
 * client without a certificate from the CA (the peer port); otherwise a client may come with a
 * token instead, and only a certificate that verified is shown to the server's handlers.
 */
export function serverCredentials(
  files: CertificateFiles,
  requireClientCertificates: boolean,
): grpc.ServerCredentials {
  if (!files.hasIdentity) throw new TypeError('a server needs a certificate and key');
  return grpc.experimental.createCertificateProviderServerCredentials(
    files,
    files,
    requireClientCertificates,
  );
}

/** Whom a client expects at the other end; see expectedServer. */
export type ExpectedServer =
  /** A particular cluster member: its certificate must name it (peer links, the witness link). */
  | { role: Extract<CertificateRole, 'node' | 'witness'>; name: string }
  /** Any node of the cluster (workstations, tandemctl), or a certificate for the host name dialled. */
  | { role: 'any-node' };

/**
 * The server check of a client: the CA is checked by TLS; then the certificate must name the
 * expected member (`tandem://node/<id>`); for 'any-node', a node or witness certificate of the
 * cluster, or else one valid for the host name (a certificate from an enterprise CA without the
 * Tandem URI).
 */
export function checkServer(
  expected: ExpectedServer,
): (hostname: string, certificate: PeerCertificate) => Error | undefined {
  return (hostname, certificate) => {
    const identity = identityFromCertificate(certificate);
    if (expected.role === 'any-node') {
      if (identity !== null && (identity.role === 'node' || identity.role === 'witness')) return undefined;
      return checkHostName(hostname, certificate);
    }
    if (identity?.role === expected.role && identity.name === expected.name) return undefined;
    const found = identity === null ? 'no Tandem identity' : `${identity.role} "${identity.name}"`;
    return new Error(
      `the server at ${hostname} is not ${expected.role} "${expected.name}": its certificate names ${found}`,
    );
  };
}

/** Channel credentials on files that reload, checking the server as `expected` says. */
export function channelCredentials(
  files: CertificateFiles,
  expected: ExpectedServer,
): grpc.ChannelCredentials {
  return grpc.experimental.createCertificateProviderChannelCredentials(
    files,
    files.hasIdentity ? files : null,
    {
      checkServerIdentity: checkServer(expected),
    },
  );
}

/**
 * grpc-js gives TLS the dialled host as the server name (SNI), an IP address included; Node then
 * warns once per process that RFC 6066 forbids IP server names. The server certificate is checked
 * by its Tandem URI (or IP SAN) all the same, so for a program that dials addresses such as
 * 127.0.0.1:7400 the warning is noise. Called by Tandem's own programs (tandemd, tandemctl, the
 * demo), never by the library on its users' behalf; it drops that one warning and nothing else.
 */
export function quietIpServerNameWarning(): void {
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const [second, third] = rest;
    const code = typeof second === 'object' && second !== null ? (second as { code?: unknown }).code : third;
    if (code === 'DEP0123') return;
    emitWarning(warning, ...rest);
  }) as typeof process.emitWarning;
}
