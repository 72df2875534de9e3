// Original file: tandem/v1/admin.proto


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
