// Original file: tandem/v1/admin.proto


export interface ListLicencesRequest {
}

export interface ListLicencesRequest__Output {
}
