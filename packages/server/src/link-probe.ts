// An active probe of the path to a cluster member: while the member is unreachable, a plain TCP
// connect to its address every probe interval, each abandoned after the probe timeout. A connect
// that succeeds proves that packets pass both ways again (a SYN out, a SYN-ACK back), which is the
// network change that grpc-js cannot see for itself: its channel may sit in a connection attempt
// whose SYN was dropped (the kernel resends it 1, 3, 7, 15... s after the first) or wait out its
// reconnect backoff. MemberClient (peer-channel.ts) then replaces that channel.
//
// The probe speaks no TLS: it closes the connection as soon as it is open, with a reset, so that
// no socket lingers on either side. Every attempt is bounded (its timeout), and so is their number
// (MAX_PROBES_IN_FLIGHT, and one name lookup at a time for a member named by host name).
import { lookup } from 'node:dns/promises';
import net from 'node:net';

/** Probe connections open at once, at most (timeout / interval is 5 with the derived timings). */
export const MAX_PROBES_IN_FLIGHT = 8;
/** However short the heartbeat, probes start at most this often. */
export const MIN_PROBE_INTERVAL_MS = 20;

export interface LinkProbeOptions {
  /** host:port; the host a name, an IPv4 address or a bracketed IPv6 address. */
  address: string;
  /** How often a new connect starts while probing. */
  intervalMs: number;
  /** How long one connect may take before it is abandoned. */
  timeoutMs: number;
  /** A connect begun at startedAtMs (Date.now()) got through. */
  opened: (startedAtMs: number) => void;
}

export class LinkProbe {
  private readonly host: string;
  private readonly port: number;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private readonly sockets = new Set<net.Socket>();
  private lookupPending = false;
  /** No new connect starts before this time (Date.now()); see holdOff. */
  private quietUntilMs = 0;

  constructor(private readonly options: LinkProbeOptions) {
    const separator = options.address.lastIndexOf(':');
    this.host = options.address.slice(0, separator).replace(/^\[(.*)\]$/, '$1');
    this.port = Number(options.address.slice(separator + 1));
    this.intervalMs = Math.max(MIN_PROBE_INTERVAL_MS, options.intervalMs);
  }

  get running(): boolean {
    return this.timer !== null;
  }

  /** Connects open now (for tests). */
  get inFlight(): number {
    return this.sockets.size;
  }

  /** Starts probing (the first connect at once, unless held off); nothing if already probing. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.attempt(), this.intervalMs);
    this.timer.unref();
    this.attempt();
  }

  /** Stops probing and abandons the connects in flight. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Starts no new connect for `durationMs` (the path was just found open; probing goes on after). */
  holdOff(durationMs: number): void {
    this.quietUntilMs = Math.max(this.quietUntilMs, Date.now() + durationMs);
  }

  private attempt(): void {
    if (this.timer === null || Date.now() < this.quietUntilMs) return;
    if (this.sockets.size >= MAX_PROBES_IN_FLIGHT) return;
    const startedAtMs = Date.now();
    if (net.isIP(this.host) !== 0) {
      this.connect(this.host, startedAtMs);
      return;
    }
    // A name: one lookup at a time, so that a slow resolver cannot pile lookups up in libuv's pool.
    if (this.lookupPending) return;
    this.lookupPending = true;
    lookup(this.host).then(
      ({ address }) => {
        this.lookupPending = false;
        if (this.timer !== null && Date.now() - startedAtMs < this.options.timeoutMs) {
          this.connect(address, startedAtMs);
        }
      },
      () => {
        this.lookupPending = false;
      },
    );
  }

  private connect(host: string, startedAtMs: number): void {
    const socket = net.connect({ host, port: this.port });
    // A probe never keeps the process alive (nor do its timers).
    socket.unref();
    this.sockets.add(socket);
    const timeout = setTimeout(() => socket.destroy(), this.options.timeoutMs - (Date.now() - startedAtMs));
    timeout.unref();
    socket.once('connect', () => {
      // A reset rather than a FIN: nothing stays in TIME_WAIT, and the member drops it at once.
      socket.resetAndDestroy();
      if (this.timer !== null) this.options.opened(startedAtMs);
    });
    // Refused, unreachable, reset, timed out: the path is not open yet; the next probe tries again.
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timeout);
      this.sockets.delete(socket);
    });
  }
}
