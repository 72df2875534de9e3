// Original file: tandem/v1/admin.proto


export interface ListIncidentsRequest {
  'openOnly'?: (boolean);
}

export interface ListIncidentsRequest__Output {
  'openOnly': (boolean);
}
