// Original file: tandem/v1/admin.proto


export interface UndrainNodeRequest {
  'nodeId'?: (string);
}

export interface UndrainNodeRequest__Output {
  'nodeId': (string);
}
