// Original file: tandem/v1/tandem.proto


export interface ListLicencesRequest {
}

export interface ListLicencesRequest__Output {
}
