// The one error this package throws. Every failure is final for the input given (retryable is
// always false): a retry with the same files or arguments fails the same way.

/**
 * bad_argument: an option is out of its range (the field names which).
 * bad_certificate: not a PEM/DER X.509 certificate this package can read.
 * bad_key: not a PEM private key, or a key type it cannot sign with.
 * key_mismatch: the private key does not belong to the certificate.
 * not_a_ca: the certificate given as the CA is not a CA certificate.
 * ca_expired: the CA certificate is not valid now.
 * ca_missing: the CA files are not in the directory.
 * exists: a file would be overwritten without being asked to.
 * io_error: a file could not be read or written.
 */
export type PkiErrorCode =
  | 'bad_argument'
  | 'bad_certificate'
  | 'bad_key'
  | 'key_mismatch'
  | 'not_a_ca'
  | 'ca_expired'
  | 'ca_missing'
  | 'exists'
  | 'io_error';

export class PkiError extends Error {
  readonly retryable = false;

  constructor(
    readonly code: PkiErrorCode,
    message: string,
    /** The option or file the error is about, when there is one. */
    readonly field: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PkiError';
  }
}
