// Original file: tandem/v1/common.proto


export interface GetLicenceRequest {
  'licenceId'?: (string);
}

export interface GetLicenceRequest__Output {
  'licenceId': (string);
}
