// The gRPC channel settings of links between cluster members (data node to data node, and to the
// witness): how fast a returning member is found again, and how a stalled connection is replaced.
import * as grpc from '@grpc/grpc-js';
import type { TandemConfig } from './config.js';

/**
 * The channel options of every link between cluster members (peer and witness).
 * - A member that comes back must be found again within a failover timeout, so reconnection backs
 *   off from one heartbeat to at most half a failover timeout (gRPC's default goes to 2 minutes).
 * - A connection whose packets were dropped for a while (a cut by a firewall, a flapping link) can
 *   stay open with TCP retransmitting at ever longer intervals, up to two minutes, while every RPC
 *   on it times out. A keepalive ping every failover timeout, unanswered within two, closes such a
 *   connection so that the channel opens a fresh one. (grpc-js servers take pings at any rate.)
 * - Each channel keeps its subchannels to itself, so that a channel opened to replace one stuck in
 *   a connection attempt (MemberClient) makes a new attempt instead of sharing the stuck one.
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
    'grpc.use_local_subchannel_pool': 1,
  };
}

/**
 * How long one connection attempt to a member (TCP, TLS and HTTP/2 handshakes) may take before it
 * is abandoned for a new one: three failover timeouts, like a stalled append stream
 * (peer-transport.ts), as a busy peer may be slow to finish a handshake.
 */
export function peerConnectTimeoutMs(config: TandemConfig): number {
  return 3 * config.timing.failoverTimeoutMs;
}

/** What MemberClient needs of a gRPC client (any generated service client is one). */
export type MemberChannelClient = Pick<grpc.Client, 'getChannel' | 'close'>;

/**
 * The client of one cluster member, replaced by a new one whenever its channel has been connecting
 * for longer than the connect timeout.
 *
 * grpc-js gives a connection attempt no deadline: it lasts until the TCP connect succeeds or the
 * kernel gives up on it. A connect begun while the link drops packets (a cut, a flapping link) waits
 * on the kernel's SYN retransmissions, which back off to 16 and 32 s apart (about two minutes in
 * all), so after the link heals the member stayed unreachable until the next retransmission: up to
 * half a minute and more, in one direction or both. No append, vote or merge offer passed meanwhile,
 * and a diverged backup could not offer its solo entries for merging, so it stayed out of the main's
 * in-sync set (the partition matrix's flapping case, 10). A new channel's attempt sends its first SYN
 * at once; the abandoned attempt's socket is closed when the kernel gives up on it, or as soon as it
 * connects.
 */
export class MemberClient<Client extends MemberChannelClient> {
  private current: Client;
  private closed = false;

  /** `open` makes a new client with a new channel (see peerChannelOptions). */
  constructor(
    private readonly open: () => Client,
    private readonly connectTimeoutMs: number,
  ) {
    this.current = open();
    this.watch(this.current);
  }

  /** The client to call now; a later call may get another one. */
  get client(): Client {
    return this.current;
  }

  close(): void {
    this.closed = true;
    this.current.close();
  }

  /** Follows the channel's state; an attempt still connecting past the timeout gets a new channel. */
  private watch(client: Client): void {
    const channel = client.getChannel();
    const state = channel.getConnectivityState(false);
    if (state === grpc.connectivityState.SHUTDOWN) return;
    const connecting = state === grpc.connectivityState.CONNECTING;
    const deadline = connecting ? Date.now() + this.connectTimeoutMs : Number.POSITIVE_INFINITY;
    channel.watchConnectivityState(state, deadline, (error) => {
      if (this.closed || client !== this.current) return;
      if (error !== undefined && channel.getConnectivityState(false) === grpc.connectivityState.CONNECTING) {
        this.current = this.open();
        client.close();
        this.watch(this.current);
        return;
      }
      this.watch(client);
    });
  }
}
