// Original file: tandem/v1/admin.proto


/**
 * A licence is activated only from a licence file the vendor signed for this cluster (see
 * docs/vendor-licences.md). A file that does not verify is refused with INVALID_ARGUMENT naming
 * licence_file and the reason (tandem-reason: licence_file_malformed, licence_key_unknown,
 * licence_signature_invalid, licence_wrong_cluster); an expired one with FAILED_PRECONDITION.
 */
export interface ActivateLicenceRequest {
  'requestId'?: (string);
  /**
   * The licence file as the vendor's tandem-issuer wrote it.
   */
  'licenceFile'?: (Buffer | Uint8Array | string);
}

/**
 * A licence is activated only from a licence file the vendor signed for this cluster (see
 * docs/vendor-licences.md). A file that does not verify is refused with INVALID_ARGUMENT naming
 * licence_file and the reason (tandem-reason: licence_file_malformed, licence_key_unknown,
 * licence_signature_invalid, licence_wrong_cluster); an expired one with FAILED_PRECONDITION.
 */
export interface ActivateLicenceRequest__Output {
  'requestId': (string);
  /**
   * The licence file as the vendor's tandem-issuer wrote it.
   */
  'licenceFile': (Buffer);
}
