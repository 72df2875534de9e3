// The gRPC channel settings of links between cluster members (data node to data node, and to the
// witness): how fast a returning member is found again, and how a stalled connection is replaced.
import type * as grpc from '@grpc/grpc-js';
import type { TandemConfig } from './config.js';

/**
 * The channel options of every link between cluster members (peer and witness).
 * - A member that comes back must be found again within a failover timeout, so reconnection backs
 *   off from one heartbeat to at most half a failover timeout (gRPC's default goes to 2 minutes).
 * - A connection whose packets were dropped for a while (a cut by a firewall, a flapping link) can
 *   stay open with TCP retransmitting at ever longer intervals, up to two minutes, while every RPC
 *   on it times out. A keepalive ping every failover timeout, unanswered within two, closes such a
 *   connection so that the channel opens a fresh one. (grpc-js servers take pings at any rate.)
 */
export function peerChannelOptions(config: TandemConfig): grpc.ChannelOptions {
  const heartbeatMs = config.timing.heartbeatIntervalMs;
  const failoverTimeoutMs = config.timing.failoverTimeoutMs;
  return {
    'grpc.initial_reconnect_backoff_ms': heartbeatMs,
    'grpc.max_reconnect_backoff_ms': Math.max(heartbeatMs, Math.floor(failoverTimeoutMs / 2)),
    'grpc.keepalive_time_ms': failoverTimeoutMs,
    'grpc.keepalive_timeout_ms': 2 * failoverTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
  };
}
