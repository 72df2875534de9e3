// Original file: tandem/v1/tandem.proto


export interface UndrainNodeRequest {
  'nodeId'?: (string);
}

export interface UndrainNodeRequest__Output {
  'nodeId': (string);
}
