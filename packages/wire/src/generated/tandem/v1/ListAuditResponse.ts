// Original file: tandem/v1/admin.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { AuditRecord as _tandem_v1_AuditRecord, AuditRecord__Output as _tandem_v1_AuditRecord__Output } from '../../tandem/v1/AuditRecord.js';

export interface ListAuditResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  /**
   * Oldest first.
   */
  'records'?: (_tandem_v1_AuditRecord)[];
  /**
   * More records matched than the limit; the oldest of them were left out.
   */
  'truncated'?: (boolean);
}

export interface ListAuditResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  /**
   * Oldest first.
   */
  'records': (_tandem_v1_AuditRecord__Output)[];
  /**
   * More records matched than the limit; the oldest of them were left out.
   */
  'truncated': (boolean);
}
