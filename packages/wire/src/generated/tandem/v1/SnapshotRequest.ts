// Original file: tandem/v1/admin.proto


export interface SnapshotRequest {
}

export interface SnapshotRequest__Output {
}
