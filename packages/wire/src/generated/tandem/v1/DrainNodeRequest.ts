// Original file: tandem/v1/admin.proto


/**
 * Drains a data node for planned maintenance: it stops leading (leadership moves to the other
 * data node, which must be in sync) and is not handed leadership back until UndrainNode. The state
 * is a replicated configuration entry: both nodes know it, and it outlives restarts of either.
 */
export interface DrainNodeRequest {
  'nodeId'?: (string);
}

/**
 * Drains a data node for planned maintenance: it stops leading (leadership moves to the other
 * data node, which must be in sync) and is not handed leadership back until UndrainNode. The state
 * is a replicated configuration entry: both nodes know it, and it outlives restarts of either.
 */
export interface DrainNodeRequest__Output {
  'nodeId': (string);
}
