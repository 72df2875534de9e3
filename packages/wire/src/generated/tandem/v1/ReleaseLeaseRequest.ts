// Original file: tandem/v1/workstation.proto


export interface ReleaseLeaseRequest {
  'requestId'?: (string);
  'leaseId'?: (string);
}

export interface ReleaseLeaseRequest__Output {
  'requestId': (string);
  'leaseId': (string);
}
