// Original file: tandem/v1/tandem.proto


export interface SnapshotRequest {
}

export interface SnapshotRequest__Output {
}
