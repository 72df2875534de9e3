// Original file: tandem/v1/tandem.proto


export interface ClusterStatusRequest {
}

export interface ClusterStatusRequest__Output {
}
