// Original file: tandem/v1/tandem.proto


export interface RevokeLeaseRequest {
  'requestId'?: (string);
  'leaseId'?: (string);
  'reason'?: (string);
}

export interface RevokeLeaseRequest__Output {
  'requestId': (string);
  'leaseId': (string);
  'reason': (string);
}
