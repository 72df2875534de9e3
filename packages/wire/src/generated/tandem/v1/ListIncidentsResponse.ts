// Original file: tandem/v1/admin.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { Incident as _tandem_v1_Incident, Incident__Output as _tandem_v1_Incident__Output } from '../../tandem/v1/Incident.js';

export interface ListIncidentsResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  /**
   * In the order they were opened; every open one and the most recently resolved.
   */
  'incidents'?: (_tandem_v1_Incident)[];
}

export interface ListIncidentsResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  /**
   * In the order they were opened; every open one and the most recently resolved.
   */
  'incidents': (_tandem_v1_Incident__Output)[];
}
