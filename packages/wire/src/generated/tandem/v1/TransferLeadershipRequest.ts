// Original file: tandem/v1/admin.proto


export interface TransferLeadershipRequest {
  'toNodeId'?: (string);
}

export interface TransferLeadershipRequest__Output {
  'toNodeId': (string);
}
