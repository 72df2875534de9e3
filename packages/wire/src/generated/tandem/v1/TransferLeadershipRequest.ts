// Original file: tandem/v1/tandem.proto


export interface TransferLeadershipRequest {
  'toNodeId'?: (string);
}

export interface TransferLeadershipRequest__Output {
  'toNodeId': (string);
}
