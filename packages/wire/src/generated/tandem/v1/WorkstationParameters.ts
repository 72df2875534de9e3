// Original file: tandem/v1/common.proto


export interface WorkstationParameters {
  'host'?: (string);
  'user'?: (string);
  'cores'?: (number);
  'productVersion'?: (string);
}

export interface WorkstationParameters__Output {
  'host': (string);
  'user': (string);
  'cores': (number);
  'productVersion': (string);
}
