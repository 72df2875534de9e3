// Original file: tandem/v1/admin.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { ReportGap as _tandem_v1_ReportGap, ReportGap__Output as _tandem_v1_ReportGap__Output } from '../../tandem/v1/ReportGap.js';
import type { ReportRow as _tandem_v1_ReportRow, ReportRow__Output as _tandem_v1_ReportRow__Output } from '../../tandem/v1/ReportRow.js';
import type { ReportLicenceRow as _tandem_v1_ReportLicenceRow, ReportLicenceRow__Output as _tandem_v1_ReportLicenceRow__Output } from '../../tandem/v1/ReportLicenceRow.js';
import type { Long } from '@grpc/proto-loader';

export interface GetReportResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'kind'?: (string);
  'fromMs'?: (number | string | Long);
  'toMs'?: (number | string | Long);
  'by'?: (string);
  /**
   * The figures include the log through this index and entry time.
   */
  'asOfIndex'?: (number | string | Long);
  'asOfMs'?: (number | string | Long);
  /**
   * Stretches of the range this node's history does not cover: figures there are incomplete.
   */
  'incomplete'?: (_tandem_v1_ReportGap)[];
  /**
   * By period, then licence, workstation, user, host.
   */
  'rows'?: (_tandem_v1_ReportRow)[];
  'licences'?: (_tandem_v1_ReportLicenceRow)[];
  /**
   * More rows than the limit: the rest were left out (narrow the range or name a licence).
   */
  'truncated'?: (boolean);
}

export interface GetReportResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'kind': (string);
  'fromMs': (number);
  'toMs': (number);
  'by': (string);
  /**
   * The figures include the log through this index and entry time.
   */
  'asOfIndex': (number);
  'asOfMs': (number);
  /**
   * Stretches of the range this node's history does not cover: figures there are incomplete.
   */
  'incomplete': (_tandem_v1_ReportGap__Output)[];
  /**
   * By period, then licence, workstation, user, host.
   */
  'rows': (_tandem_v1_ReportRow__Output)[];
  'licences': (_tandem_v1_ReportLicenceRow__Output)[];
  /**
   * More rows than the limit: the rest were left out (narrow the range or name a licence).
   */
  'truncated': (boolean);
}
