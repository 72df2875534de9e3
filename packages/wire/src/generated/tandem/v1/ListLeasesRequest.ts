// Original file: tandem/v1/tandem.proto


export interface ListLeasesRequest {
  /**
   * Empty lists the leases of every licence.
   */
  'licenceId'?: (string);
}

export interface ListLeasesRequest__Output {
  /**
   * Empty lists the leases of every licence.
   */
  'licenceId': (string);
}
