// The HTTP port's TLS material: the client port's certificate files (see node-credentials.ts), as
// Node's https server takes them, following every reload. CertificateFiles tells its listeners of
// the set in use at once and of every new whole set later, so the HTTP port swaps its secure context
// when the gRPC listeners swap theirs, and never holds a certificate without its key.
import type { CertificateFiles } from '@tandem/pki';

export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export interface TlsWatch {
  /** The set in use when the watch started. */
  initial: TlsMaterial;
  close(): void;
}

/** How long the files may take to tell their first set (they do so on the next turn). */
const FIRST_SET_TIMEOUT_MS = 5000;

/** Resolves with the set in use, then calls onChange with each new one until closed. */
export function watchTls(
  files: CertificateFiles,
  onChange: (material: TlsMaterial) => void,
): Promise<TlsWatch> {
  let ca: Buffer | null = null;
  let identity: { cert: Buffer; key: Buffer } | null = null;
  let started = false;
  const onCa = (update: { caCertificate: Buffer } | null) => {
    if (update === null) return;
    ca = update.caCertificate;
    changed();
  };
  const onIdentity = (update: { certificate: Buffer; privateKey: Buffer } | null) => {
    if (update === null) return;
    identity = { cert: update.certificate, key: update.privateKey };
    changed();
  };
  let resolveFirst: (material: TlsMaterial) => void = () => {};
  const first = new Promise<TlsMaterial>((resolve) => {
    resolveFirst = resolve;
  });
  const changed = () => {
    if (ca === null || identity === null) return;
    const material = { ca, ...identity };
    if (!started) {
      started = true;
      resolveFirst(material);
    } else {
      onChange(material);
    }
  };
  const close = () => {
    files.removeCaCertificateListener(onCa);
    files.removeIdentityCertificateListener(onIdentity);
  };
  files.addCaCertificateListener(onCa);
  files.addIdentityCertificateListener(onIdentity);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error('the certificate files gave no certificate and key for the HTTP port')),
      FIRST_SET_TIMEOUT_MS,
    );
  });
  return Promise.race([first, timeout]).then(
    (initial) => {
      clearTimeout(timer);
      return { initial, close };
    },
    (error: unknown) => {
      clearTimeout(timer);
      close();
      throw error;
    },
  );
}
