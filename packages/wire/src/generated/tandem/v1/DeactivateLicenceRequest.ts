// Original file: tandem/v1/admin.proto


export interface DeactivateLicenceRequest {
  'requestId'?: (string);
  'licenceId'?: (string);
}

export interface DeactivateLicenceRequest__Output {
  'requestId': (string);
  'licenceId': (string);
}
