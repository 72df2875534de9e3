// Original file: tandem/v1/internal/witness.proto


export interface WitnessStateRequest {
}

export interface WitnessStateRequest__Output {
}
