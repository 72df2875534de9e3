// Original file: tandem/v1/admin.proto

import type { IncidentKind as _tandem_v1_IncidentKind, IncidentKind__Output as _tandem_v1_IncidentKind__Output } from '../../tandem/v1/IncidentKind.js';
import type { Long } from '@grpc/proto-loader';

/**
 * An overdraft incident: a licence over its limit because a pair-mode merge re-applied what the
 * backup granted while it led alone. The licence grants no new lease while a seats incident is open.
 */
export interface Incident {
  'incidentId'?: (string);
  'licenceId'?: (string);
  'kind'?: (_tandem_v1_IncidentKind);
  /**
   * Seats or quota units, and the most leases held at once during the over-grant (its peak) or the
   * units used, when the incident was recorded.
   */
  'limit'?: (number | string | Long);
  'observed'?: (number | string | Long);
  'excess'?: (number | string | Long);
  /**
   * The term of the merge entry (main's), and the backup's terms whose entries it re-applied.
   */
  'mainTerm'?: (number | string | Long);
  'backupTerms'?: (number | string | Long)[];
  'sourceNodeId'?: (string);
  'mergeIndex'?: (number | string | Long);
  'openedAtMs'?: (number | string | Long);
  /**
   * Absent while the incident is open.
   */
  'resolvedAtMs'?: (number | string | Long);
  /**
   * Usage incidents only: the period that went over its quota.
   */
  'periodStartMs'?: (number | string | Long);
  'periodEndMs'?: (number | string | Long);
  /**
   * When the excess began, in leader time (seats: the first moment both histories together held
   * more leases than seats; usage: the earliest merged report in the period). Absent for incidents
   * recorded before the ledger kept it.
   */
  'startedAtMs'?: (number | string | Long);
  /**
   * Seats only: when the leases held at once were back within the seats, for an over-grant that had
   * ended before the merge (recorded resolved at once). Absent while it lasts.
   */
  'endedAtMs'?: (number | string | Long);
  /**
   * Seats only: the terms that granted the leases held during the over-grant.
   */
  'grantTerms'?: (number | string | Long)[];
  '_resolvedAtMs'?: "resolvedAtMs";
  '_periodStartMs'?: "periodStartMs";
  '_periodEndMs'?: "periodEndMs";
  '_startedAtMs'?: "startedAtMs";
  '_endedAtMs'?: "endedAtMs";
}

/**
 * An overdraft incident: a licence over its limit because a pair-mode merge re-applied what the
 * backup granted while it led alone. The licence grants no new lease while a seats incident is open.
 */
export interface Incident__Output {
  'incidentId': (string);
  'licenceId': (string);
  'kind': (_tandem_v1_IncidentKind__Output);
  /**
   * Seats or quota units, and the most leases held at once during the over-grant (its peak) or the
   * units used, when the incident was recorded.
   */
  'limit': (number);
  'observed': (number);
  'excess': (number);
  /**
   * The term of the merge entry (main's), and the backup's terms whose entries it re-applied.
   */
  'mainTerm': (number);
  'backupTerms': (number)[];
  'sourceNodeId': (string);
  'mergeIndex': (number);
  'openedAtMs': (number);
  /**
   * Absent while the incident is open.
   */
  'resolvedAtMs'?: (number);
  /**
   * Usage incidents only: the period that went over its quota.
   */
  'periodStartMs'?: (number);
  'periodEndMs'?: (number);
  /**
   * When the excess began, in leader time (seats: the first moment both histories together held
   * more leases than seats; usage: the earliest merged report in the period). Absent for incidents
   * recorded before the ledger kept it.
   */
  'startedAtMs'?: (number);
  /**
   * Seats only: when the leases held at once were back within the seats, for an over-grant that had
   * ended before the merge (recorded resolved at once). Absent while it lasts.
   */
  'endedAtMs'?: (number);
  /**
   * Seats only: the terms that granted the leases held during the over-grant.
   */
  'grantTerms': (number)[];
  '_resolvedAtMs'?: "resolvedAtMs";
  '_periodStartMs'?: "periodStartMs";
  '_periodEndMs'?: "periodEndMs";
  '_startedAtMs'?: "startedAtMs";
  '_endedAtMs'?: "endedAtMs";
}
