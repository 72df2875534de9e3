// Original file: tandem/v1/admin.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { NodeStatus as _tandem_v1_NodeStatus, NodeStatus__Output as _tandem_v1_NodeStatus__Output } from '../../tandem/v1/NodeStatus.js';

export interface ClusterStatusResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  /**
   * The answering node first, then what it knows of its peers.
   */
  'nodes'?: (_tandem_v1_NodeStatus)[];
  'leaderId'?: (string);
  'inSync'?: (string)[];
  /**
   * Overdraft incidents open in the answering node's ledger (see ListIncidents).
   */
  'openIncidents'?: (number);
  /**
   * The cluster id the answering node's ledger recorded (empty until the first leader recorded it):
   * licence files are issued for it.
   */
  'clusterId'?: (string);
  /**
   * The data nodes drained for maintenance (DrainNode), as the answering node's configuration says.
   */
  'drained'?: (string)[];
}

export interface ClusterStatusResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  /**
   * The answering node first, then what it knows of its peers.
   */
  'nodes': (_tandem_v1_NodeStatus__Output)[];
  'leaderId': (string);
  'inSync': (string)[];
  /**
   * Overdraft incidents open in the answering node's ledger (see ListIncidents).
   */
  'openIncidents': (number);
  /**
   * The cluster id the answering node's ledger recorded (empty until the first leader recorded it):
   * licence files are issued for it.
   */
  'clusterId': (string);
  /**
   * The data nodes drained for maintenance (DrainNode), as the answering node's configuration says.
   */
  'drained': (string)[];
}
