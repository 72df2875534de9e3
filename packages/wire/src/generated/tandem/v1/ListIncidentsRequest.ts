// Original file: tandem/v1/tandem.proto


export interface ListIncidentsRequest {
  'openOnly'?: (boolean);
}

export interface ListIncidentsRequest__Output {
  'openOnly': (boolean);
}
