// Original file: tandem/v1/tandem.proto


export interface ReleaseLeaseRequest {
  'requestId'?: (string);
  'leaseId'?: (string);
}

export interface ReleaseLeaseRequest__Output {
  'requestId': (string);
  'leaseId': (string);
}
