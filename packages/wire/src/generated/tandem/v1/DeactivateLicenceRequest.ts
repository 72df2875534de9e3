// Original file: tandem/v1/tandem.proto


export interface DeactivateLicenceRequest {
  'requestId'?: (string);
  'licenceId'?: (string);
}

export interface DeactivateLicenceRequest__Output {
  'requestId': (string);
  'licenceId': (string);
}
