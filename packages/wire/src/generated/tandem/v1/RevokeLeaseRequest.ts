// Original file: tandem/v1/admin.proto


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
