// Original file: tandem/v1/tandem.proto


export interface GetLicenceRequest {
  'licenceId'?: (string);
}

export interface GetLicenceRequest__Output {
  'licenceId': (string);
}
