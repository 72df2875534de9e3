// Original file: tandem/v1/admin.proto


/**
 * Who asked for an admin or operator operation, as the serving node identified the caller.
 */
export interface Actor {
  /**
   * The certificate's or the token's name.
   */
  'name'?: (string);
  'role'?: (string);
  /**
   * certificate, token or insecure.
   */
  'via'?: (string);
  /**
   * The caller's address as the serving node saw it.
   */
  'from'?: (string);
}

/**
 * Who asked for an admin or operator operation, as the serving node identified the caller.
 */
export interface Actor__Output {
  /**
   * The certificate's or the token's name.
   */
  'name': (string);
  'role': (string);
  /**
   * certificate, token or insecure.
   */
  'via': (string);
  /**
   * The caller's address as the serving node saw it.
   */
  'from': (string);
}
