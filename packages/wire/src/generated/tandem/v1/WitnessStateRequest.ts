// Original file: tandem/v1/tandem.proto


export interface WitnessStateRequest {
}

export interface WitnessStateRequest__Output {
}
