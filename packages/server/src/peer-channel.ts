// The gRPC channel settings of links between cluster members (data node to data node, and to the
// witness): how fast a returning member is found again, and how a stalled connection is replaced.
import * as grpc from '@grpc/grpc-js';
import type { TandemConfig } from './config.js';
import { LinkProbe } from './link-probe.js';

/**
 * The channel options of every link between cluster members (peer and witness).
 * - A member that comes back must be found again within a failover timeout, so reconnection backs
 *   off from one heartbeat to at most half a failover timeout (gRPC's default goes to 2 minutes).
 *   After a cut, the link probe (MemberClient) finds the member sooner still.
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

/** How a member that stopped answering is probed (see MemberClient). */
export interface MemberProbeTimings {
  /** A new TCP connect to the member this often: one heartbeat. */
  probeIntervalMs: number;
  /**
   * How long one probe connect may take: the peer RPC deadline (five heartbeats, at least 250 ms),
   * so that a slow link's round trip fits.
   */
  probeTimeoutMs: number;
  /**
   * How long a channel the probe opened may take to connect before the probe may replace it in its
   * turn: one failover timeout. Its TCP connect gets through (the probe just did), but the TLS and
   * HTTP/2 handshakes need both processes' CPU, and on a loaded machine they took 200 to 600 ms;
   * abandoning a handshake half done only starts another one.
   */
  replacementConnectMs: number;
  /**
   * A connected channel that brought no answer for this long, while a probe connect gets through,
   * is taken for stalled: one failover timeout (the core has given the member up by then).
   */
  stalledAfterMs: number;
}

export function memberProbeTimings(config: TandemConfig): MemberProbeTimings {
  const { heartbeatIntervalMs, failoverTimeoutMs } = config.timing;
  return {
    probeIntervalMs: heartbeatIntervalMs,
    probeTimeoutMs: Math.max(5 * heartbeatIntervalMs, 250),
    replacementConnectMs: failoverTimeoutMs,
    stalledAfterMs: failoverTimeoutMs,
  };
}

/** What MemberClient needs of a gRPC client (any generated service client is one). */
export type MemberChannelClient = Pick<grpc.Client, 'getChannel' | 'close'>;

export interface MemberClientOptions<Client> {
  /** Makes a new client with a new channel (see peerChannelOptions). */
  open: () => Client;
  /** See peerConnectTimeoutMs. */
  connectTimeoutMs: number;
  /** The member's host:port and how to probe it; without it, no probe (tests of the timeout alone). */
  probe?: MemberProbeTimings & { address: string };
  /**
   * A new client replaced the previous one (calls still open on the previous one will not end
   * well); `byProbe` when the link probe found the link open (once per heal), false when an attempt
   * passed the connect timeout (every connect timeout while the member stays away).
   */
  replaced?: (reason: string, byProbe: boolean) => void;
}

/**
 * The client of one cluster member, replaced by a new one whenever its channel cannot be trusted to
 * reach the member soon.
 *
 * grpc-js gives a connection attempt no deadline: it lasts until the TCP connect succeeds or the
 * kernel gives up on it. A connect begun while the link drops packets (a cut, a flapping link) waits
 * on the kernel's SYN retransmissions, which back off to 16 and 32 s apart (about two minutes in
 * all), so after the link heals the member stayed unreachable until the next retransmission: up to
 * half a minute and more, in one direction or both. No append, vote or merge offer passed meanwhile,
 * and a diverged backup could not offer its solo entries for merging, so it stayed out of the main's
 * in-sync set (the partition matrix's flapping case, 10). Two rules replace the channel:
 *
 * - The connect timeout: a channel still connecting after it is replaced. This bounds a stalled
 *   attempt whatever the probe says (a member that takes the connection and never finishes the
 *   handshake, say).
 * - The link probe: while the member is unreachable (the transport says so when an RPC to it fails,
 *   until one is answered), a TCP connect every heartbeat (LinkProbe). The first one that gets
 *   through shows the link is back, within a heartbeat and a round trip of the heal, which is the
 *   network change grpc-js cannot see. Then a channel still in the attempt it began before that
 *   probe, or waiting out its reconnect backoff (TRANSIENT_FAILURE), is replaced at once, since a
 *   new channel's attempt sends its first SYN now and gets its answer in a round trip; an idle one
 *   is told to connect; and a connected one that has brought no answer for a failover timeout (a
 *   connection stalled in TCP retransmissions by the cut) is replaced too. Without the probe an
 *   outside harness saw the nodes first hear each other 2.5 s (cut) and 5.7 s (one-way loss) after
 *   the heal, and the split brain outlasted the heal by that much, with leases granted on both
 *   sides (the reconnect cases of test/netns measure it: 1.9 to 2.2 s without the probe).
 *
 * Limits: the probe runs only while the member is unreachable, with a bounded number of connects
 * open (link-probe.ts). A channel the probe opened gets a failover timeout to connect before the
 * probe may replace it again, and each further replacement before one connects doubles that wait,
 * up to the connect timeout: a member that takes TCP connections but never completes a handshake
 * (stopped, overloaded) costs a few channels, not one per heartbeat. A replaced channel is closed
 * at once: calls waiting for it to connect fail, and its connection attempt ends when the kernel
 * gives up on it or as soon as it connects (grpc-js cannot cancel it).
 */
export class MemberClient<Client extends MemberChannelClient> {
  private current: Client;
  private closed = false;
  private readonly probe: LinkProbe | null;
  /** When the current channel entered its present state (Date.now()). */
  private stateSinceMs = Date.now();
  /** When the member last answered (Date.now()); 0 before it ever did. */
  private lastAnsweredAtMs = 0;
  /** When the probe last replaced the channel, and how long the replacement gets to connect. */
  private probeReplacedAtMs = 0;
  private probeReplaceWaitMs: number;

  constructor(private readonly options: MemberClientOptions<Client>) {
    this.current = options.open();
    // Connected from the start, not at the first RPC: a member's first vote request or append after
    // a handover would otherwise wait for a TCP and TLS handshake (tens of ms on a busy node).
    this.current.getChannel().getConnectivityState(true);
    this.watch(this.current);
    const probe = options.probe;
    this.probeReplaceWaitMs = probe?.replacementConnectMs ?? 0;
    this.probe =
      probe === undefined
        ? null
        : new LinkProbe({
            address: probe.address,
            intervalMs: probe.probeIntervalMs,
            timeoutMs: probe.probeTimeoutMs,
            opened: (startedAtMs) => this.linkOpen(startedAtMs),
          });
  }

  /** The client to call now; a later call may get another one. */
  get client(): Client {
    return this.current;
  }

  /** Whether the link probe is running (for tests and status). */
  get probing(): boolean {
    return this.probe?.running ?? false;
  }

  /** An RPC to the member failed or timed out: probe the link until the member answers again. */
  unreachable(): void {
    if (!this.closed) this.probe?.start();
  }

  /** The member answered an RPC: the link works, and the probe stops. */
  answered(): void {
    this.lastAnsweredAtMs = Date.now();
    this.probe?.stop();
  }

  close(): void {
    this.closed = true;
    this.probe?.stop();
    this.current.close();
  }

  /** A probe connect begun at startedAtMs got through: the link carries packets both ways. */
  private linkOpen(startedAtMs: number): void {
    const probe = this.options.probe;
    if (this.closed || probe === undefined) return;
    const channel = this.current.getChannel();
    const state = channel.getConnectivityState(false);
    const now = Date.now();
    // The link is open: no need to probe again before a channel opened now would have connected.
    this.probe?.holdOff(probe.probeTimeoutMs);
    switch (state) {
      case grpc.connectivityState.SHUTDOWN:
        return;
      case grpc.connectivityState.IDLE:
        // Not connecting and not in backoff: the next call would connect; start that now.
        channel.getConnectivityState(true);
        return;
      case grpc.connectivityState.READY:
        // Connected within the last failover timeout, or answering: not stalled.
        if (now - this.stateSinceMs < probe.stalledAfterMs) return;
        if (now - this.lastAnsweredAtMs < probe.stalledAfterMs) return;
        break;
      default:
        // CONNECTING or TRANSIENT_FAILURE since the link was found open: the attempt is recent.
        if (this.stateSinceMs >= startedAtMs) return;
    }
    if (now - this.probeReplacedAtMs < this.probeReplaceWaitMs) return;
    if (this.probeReplacedAtMs > 0) {
      // The previous replacement has not connected (READY resets the wait): wait longer each time.
      this.probeReplaceWaitMs = Math.min(2 * this.probeReplaceWaitMs, this.options.connectTimeoutMs);
    }
    this.probeReplacedAtMs = now;
    // No new probe until the new channel has had its time to connect.
    this.probe?.holdOff(this.probeReplaceWaitMs);
    const stateName = grpc.connectivityState[state];
    this.replace(`the link to the member is open again and the channel was ${stateName}`, true);
  }

  /**
   * A new client in place of the current one (connecting at once when the probe found the link
   * open); the old one is closed.
   */
  private replace(reason: string, byProbe: boolean): void {
    const previous = this.current;
    this.current = this.options.open();
    this.stateSinceMs = Date.now();
    if (byProbe) this.current.getChannel().getConnectivityState(true);
    this.watch(this.current);
    this.options.replaced?.(reason, byProbe);
    previous.close();
  }

  /** Follows the channel's state; an attempt still connecting past the timeout gets a new channel. */
  private watch(client: Client): void {
    const channel = client.getChannel();
    const state = channel.getConnectivityState(false);
    if (state === grpc.connectivityState.SHUTDOWN) return;
    const connecting = state === grpc.connectivityState.CONNECTING;
    const deadline = connecting
      ? this.stateSinceMs + this.options.connectTimeoutMs
      : Number.POSITIVE_INFINITY;
    channel.watchConnectivityState(state, deadline, (error) => {
      if (this.closed || client !== this.current) return;
      if (error !== undefined && channel.getConnectivityState(false) === grpc.connectivityState.CONNECTING) {
        this.replace('the connection attempt took longer than the connect timeout', false);
        return;
      }
      const next = channel.getConnectivityState(false);
      // A connection that was up and went idle (grpc-js's idle timeout, or the member closed it) is
      // opened again at once, so that the link is ready before it is next needed. One that failed
      // to connect is left to the connect timeout, the probe and the next RPC.
      if (state === grpc.connectivityState.READY && next === grpc.connectivityState.IDLE)
        channel.getConnectivityState(true);
      if (next !== state) {
        this.stateSinceMs = Date.now();
        if (next === grpc.connectivityState.READY) {
          this.probeReplacedAtMs = 0;
          this.probeReplaceWaitMs = this.options.probe?.replacementConnectMs ?? 0;
        }
      }
      this.watch(client);
    });
  }
}
