// A TCP proxy that sits on one link between two Tandem nodes (or a client and a node) so that
// partition tests can cut, slow down or break that link while connections are open.
//
// Faults work on whole chunks of a byte stream and never reorder or corrupt it: dropping a few
// bytes in the middle of an HTTP/2 connection would only test the framing parser, not the
// replication protocol. So "drop" resets the connection instead of losing bytes, and only a
// blackhole loses bytes (all of them, in one direction, like a cut cable).
import assert from 'node:assert/strict';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

/** Which bytes a blackhole swallows: forward is client to target, backward is target to client. */
export type FaultDirection = 'both' | 'forward' | 'backward';

/**
 * When a drop decision is drawn: once per accepted connection (the connection is reset right
 * after accept), or once per chunk read in either direction (a live connection is reset).
 */
export type DropScope = 'connection' | 'chunk';

export const DEFAULT_MAXIMUM_CONNECTIONS = 1024;
export const DEFAULT_MAXIMUM_DELAYED_BYTES_PER_CONNECTION = 16 * 1024 * 1024;
export const MAXIMUM_DELAY_MS = 60_000;

export interface FaultProxyOptions {
  /** host:port to forward to; only loopback hosts are allowed. */
  target: string;
  /** Port to listen on at 127.0.0.1; 0 or absent picks a free one. */
  listenPort?: number;
  /** Source of randomness in [0, 1) for drops and jitter; pass a seeded one for deterministic tests. */
  random?: () => number;
  /** Connections beyond this many open ones are reset right after accept. */
  maximumConnections?: number;
  /** Bytes a connection may hold in its delay queues (plus unflushed socket buffers) before it is reset. */
  maximumDelayedBytesPerConnection?: number;
}

export interface FaultProxyDirectionCounts {
  forward: number;
  backward: number;
}

export interface FaultProxyStats {
  /** Every connection the proxy accepted, including those it refused or dropped at once. */
  connectionsAccepted: number;
  connectionsOpen: number;
  /** Connections reset at accept because maximumConnections were already open. */
  connectionsRefused: number;
  /** Connections the proxy reset on purpose: drops, queue overflow and resetConnections(). */
  connectionsReset: number;
  bytesForwarded: FaultProxyDirectionCounts;
  /** Bytes swallowed by a blackhole or discarded with a reset connection's delay queue. */
  bytesDropped: FaultProxyDirectionCounts;
}

type PipeDirection = 'forward' | 'backward';

interface FaultSettings {
  blackholed: Record<PipeDirection, boolean>;
  delayMs: number;
  jitterMs: number;
  dropFraction: number;
  dropScope: DropScope;
}

/** What every connection shares with its proxy. */
interface ProxyContext {
  readonly settings: FaultSettings;
  readonly stats: FaultProxyStats;
  readonly random: () => number;
  readonly maximumDelayedBytesPerConnection: number;
  forget(connection: ProxiedConnection): void;
}

interface DelayedChunk {
  chunk: Buffer;
  dueAtMs: number;
}

/** One direction of one connection, with its delay queue. */
class Pipe {
  readonly queue: DelayedChunk[] = [];
  queuedBytes = 0;
  lastDueAtMs = 0;
  timer: NodeJS.Timeout | undefined;
  sourceEnded = false;
  destinationEnded = false;
  waitingForDrain = false;

  constructor(
    readonly direction: PipeDirection,
    readonly source: net.Socket,
    readonly destination: net.Socket,
  ) {}
}

/** Closes a socket with a TCP reset when it is connected, so the peer sees ECONNRESET at once. */
function hardClose(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

class ProxiedConnection {
  readonly forward: Pipe;
  readonly backward: Pipe;
  private finished = false;
  private socketsClosed = 0;

  constructor(
    private readonly context: ProxyContext,
    readonly client: net.Socket,
    readonly server: net.Socket,
  ) {
    this.forward = new Pipe('forward', client, server);
    this.backward = new Pipe('backward', server, client);
    for (const pipe of [this.forward, this.backward]) {
      pipe.source.on('data', (chunk: Buffer) => this.onData(pipe, chunk));
      pipe.source.on('end', () => {
        pipe.sourceEnded = true;
        this.tryEnd(pipe);
      });
    }
    for (const socket of [client, server]) {
      socket.setNoDelay(true);
      // Errors are followed by 'close' with hadError set, which resets the other side.
      socket.on('error', () => {});
      socket.on('close', (hadError: boolean) => {
        if (hadError) {
          this.abort();
          return;
        }
        this.socketsClosed += 1;
        if (this.socketsClosed === 2) this.abort();
      });
    }
  }

  /** Resets both sockets and discards queued bytes; returns false if the connection was already over. */
  abort(): boolean {
    if (this.finished) return false;
    this.finished = true;
    for (const pipe of [this.forward, this.backward]) {
      clearTimeout(pipe.timer);
      pipe.timer = undefined;
      this.context.stats.bytesDropped[pipe.direction] += pipe.queuedBytes;
      pipe.queue.length = 0;
      pipe.queuedBytes = 0;
    }
    hardClose(this.client);
    hardClose(this.server);
    this.context.forget(this);
    return true;
  }

  /** Delivers every queued chunk now, in order; used when the delay is lifted. */
  flushAll(): void {
    for (const pipe of [this.forward, this.backward]) {
      clearTimeout(pipe.timer);
      pipe.timer = undefined;
      this.flush(pipe, Number.POSITIVE_INFINITY);
      this.tryEnd(pipe);
    }
  }

  private onData(pipe: Pipe, chunk: Buffer): void {
    if (this.finished) return;
    const { settings, stats } = this.context;
    if (settings.blackholed[pipe.direction]) {
      stats.bytesDropped[pipe.direction] += chunk.length;
      return;
    }
    if (
      settings.dropScope === 'chunk' &&
      settings.dropFraction > 0 &&
      this.context.random() < settings.dropFraction
    ) {
      stats.bytesDropped[pipe.direction] += chunk.length;
      stats.connectionsReset += 1;
      this.abort();
      return;
    }
    if (settings.delayMs === 0 && settings.jitterMs === 0 && pipe.queue.length === 0) {
      this.write(pipe, chunk);
      return;
    }
    const jitterMs = settings.jitterMs === 0 ? 0 : (this.context.random() * 2 - 1) * settings.jitterMs;
    // A chunk is never due before the one ahead of it: TCP streams must not be reordered.
    const dueAtMs = Math.max(performance.now() + Math.max(0, settings.delayMs + jitterMs), pipe.lastDueAtMs);
    pipe.lastDueAtMs = dueAtMs;
    pipe.queue.push({ chunk, dueAtMs });
    pipe.queuedBytes += chunk.length;
    const heldBytes =
      this.forward.queuedBytes +
      this.backward.queuedBytes +
      this.client.writableLength +
      this.server.writableLength;
    if (heldBytes > this.context.maximumDelayedBytesPerConnection) {
      stats.connectionsReset += 1;
      this.abort();
      return;
    }
    this.schedule(pipe);
  }

  private schedule(pipe: Pipe): void {
    if (pipe.timer !== undefined || this.finished) return;
    const head = pipe.queue[0];
    if (head === undefined) return;
    const waitMs = Math.max(0, Math.ceil(head.dueAtMs - performance.now()));
    pipe.timer = setTimeout(() => {
      pipe.timer = undefined;
      this.flush(pipe, performance.now());
      this.tryEnd(pipe);
      this.schedule(pipe);
    }, waitMs);
  }

  /** Writes the queued chunks due by nowMs; chunks due while their direction is cut are lost in flight. */
  private flush(pipe: Pipe, nowMs: number): void {
    while (!this.finished) {
      const head = pipe.queue[0];
      if (head === undefined || head.dueAtMs > nowMs) return;
      pipe.queue.shift();
      pipe.queuedBytes -= head.chunk.length;
      assert.ok(pipe.queuedBytes >= 0, 'delay queue byte count went negative');
      if (this.context.settings.blackholed[pipe.direction]) {
        this.context.stats.bytesDropped[pipe.direction] += head.chunk.length;
      } else {
        this.write(pipe, head.chunk);
      }
    }
  }

  private write(pipe: Pipe, chunk: Buffer): void {
    if (pipe.destination.destroyed || pipe.destinationEnded) {
      this.context.stats.bytesDropped[pipe.direction] += chunk.length;
      return;
    }
    this.context.stats.bytesForwarded[pipe.direction] += chunk.length;
    const accepted = pipe.destination.write(chunk);
    if (!accepted && !pipe.waitingForDrain) {
      // Pass the destination's back-pressure on to the source instead of buffering without limit.
      pipe.waitingForDrain = true;
      pipe.source.pause();
      pipe.destination.once('drain', () => {
        pipe.waitingForDrain = false;
        if (!pipe.source.destroyed) pipe.source.resume();
      });
    }
  }

  /**
   * Passes a FIN on once everything before it was delivered. A FIN that meets a blackhole waits
   * for heal(), as a retransmitted FIN would, so that healed connections can still close cleanly.
   */
  private tryEnd(pipe: Pipe): void {
    if (this.finished || !pipe.sourceEnded || pipe.destinationEnded) return;
    if (pipe.queue.length > 0 || this.context.settings.blackholed[pipe.direction]) return;
    pipe.destinationEnded = true;
    pipe.destination.end();
  }

  retryEnds(): void {
    this.tryEnd(this.forward);
    this.tryEnd(this.backward);
  }
}

function parseLoopbackTarget(target: string): { host: string; port: number } {
  const separator = target.lastIndexOf(':');
  assert.ok(separator > 0, `target must be host:port, got ${JSON.stringify(target)}`);
  let host = target.slice(0, separator);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(target.slice(separator + 1));
  assert.ok(Number.isInteger(port) && port > 0 && port <= 65535, `bad target port in ${target}`);
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  assert.ok(loopback, `the fault proxy only forwards to loopback addresses, got ${host}`);
  return { host, port };
}

function cleanSettings(): FaultSettings {
  return {
    blackholed: { forward: false, backward: false },
    delayMs: 0,
    jitterMs: 0,
    dropFraction: 0,
    dropScope: 'chunk',
  };
}

/**
 * Forwards every connection accepted on 127.0.0.1 to one target and injects faults on demand.
 * Use one proxy per directed link; every control takes effect at once, on open connections too.
 */
export class FaultProxy {
  private readonly settings: FaultSettings = cleanSettings();
  private readonly counters: FaultProxyStats = {
    connectionsAccepted: 0,
    connectionsOpen: 0,
    connectionsRefused: 0,
    connectionsReset: 0,
    bytesForwarded: { forward: 0, backward: 0 },
    bytesDropped: { forward: 0, backward: 0 },
  };
  private readonly connections = new Set<ProxiedConnection>();
  private readonly context: ProxyContext;
  private closePromise: Promise<void> | undefined;

  private constructor(
    private readonly server: net.Server,
    private readonly target: { host: string; port: number },
    random: () => number,
    private readonly maximumConnections: number,
    maximumDelayedBytesPerConnection: number,
  ) {
    this.context = {
      settings: this.settings,
      stats: this.counters,
      random: () => {
        const value = random();
        assert.ok(value >= 0 && value < 1, `random() must return a number in [0, 1), got ${value}`);
        return value;
      },
      maximumDelayedBytesPerConnection,
      forget: (connection) => {
        this.connections.delete(connection);
        this.counters.connectionsOpen = this.connections.size;
      },
    };
    server.on('connection', (client) => this.accept(client));
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const target = parseLoopbackTarget(options.target);
    const listenPort = options.listenPort ?? 0;
    assert.ok(Number.isInteger(listenPort) && listenPort >= 0 && listenPort <= 65535, 'bad listenPort');
    const maximumConnections = options.maximumConnections ?? DEFAULT_MAXIMUM_CONNECTIONS;
    assert.ok(Number.isInteger(maximumConnections) && maximumConnections > 0, 'bad maximumConnections');
    const maximumDelayedBytes =
      options.maximumDelayedBytesPerConnection ?? DEFAULT_MAXIMUM_DELAYED_BYTES_PER_CONNECTION;
    assert.ok(Number.isInteger(maximumDelayedBytes) && maximumDelayedBytes > 0, 'bad maximum delayed bytes');

    const server = net.createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: listenPort }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new FaultProxy(
      server,
      target,
      options.random ?? Math.random,
      maximumConnections,
      maximumDelayedBytes,
    );
  }

  /** 127.0.0.1:port, the address to give the client side of the link. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get port(): number {
    const address = this.server.address();
    assert.ok(address !== null && typeof address === 'object', 'the fault proxy is not listening');
    return address.port;
  }

  /**
   * Silently swallows bytes in the given direction(s) from now on, on open and new connections;
   * connections stay open. Cuts add up: blackhole('forward') then blackhole('backward') cuts both.
   */
  blackhole(direction: FaultDirection = 'both'): void {
    if (direction === 'both' || direction === 'forward') this.settings.blackholed.forward = true;
    if (direction === 'both' || direction === 'backward') this.settings.blackholed.backward = true;
  }

  /** Holds every chunk, in both directions, for delayMs ± jitterMs (never reordering a stream). */
  delay(delayMs: number, jitterMs = 0): void {
    assert.ok(Number.isFinite(delayMs) && delayMs >= 0 && delayMs <= MAXIMUM_DELAY_MS, 'bad delayMs');
    assert.ok(Number.isFinite(jitterMs) && jitterMs >= 0 && jitterMs <= MAXIMUM_DELAY_MS, 'bad jitterMs');
    this.settings.delayMs = delayMs;
    this.settings.jitterMs = jitterMs;
    if (delayMs === 0 && jitterMs === 0) {
      for (const connection of this.connections) connection.flushAll();
    }
  }

  /**
   * With probability fraction, resets a connection (both sockets) instead of losing bytes, which
   * would corrupt HTTP/2 framing. With scope 'chunk' (the default) the draw is made for every
   * chunk read in either direction, so long-lived gRPC connections break too; with 'connection'
   * it is made once per accepted connection. Bytes to blackholed directions draw nothing.
   */
  dropFraction(fraction: number, scope: DropScope = 'chunk'): void {
    assert.ok(Number.isFinite(fraction) && fraction >= 0 && fraction <= 1, 'fraction must be in [0, 1]');
    this.settings.dropFraction = fraction;
    this.settings.dropScope = scope;
  }

  /** Resets every open connection now; new connections are still accepted. */
  resetConnections(): void {
    for (const connection of [...this.connections]) {
      if (connection.abort()) this.counters.connectionsReset += 1;
    }
  }

  /**
   * Back to a clean pass-through. Delayed chunks are delivered at once; bytes a blackhole
   * swallowed are gone for good, so a healed HTTP/2 connection may need resetConnections().
   */
  heal(): void {
    Object.assign(this.settings, cleanSettings());
    for (const connection of [...this.connections]) {
      connection.flushAll();
      connection.retryEnds();
    }
  }

  stats(): FaultProxyStats {
    const counters = this.counters;
    return {
      ...counters,
      connectionsOpen: this.connections.size,
      bytesForwarded: { ...counters.bytesForwarded },
      bytesDropped: { ...counters.bytesDropped },
    };
  }

  /** Stops listening and resets every connection; resolves once the port is free. */
  close(): Promise<void> {
    this.closePromise ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const connection of [...this.connections]) connection.abort();
    });
    return this.closePromise;
  }

  private accept(client: net.Socket): void {
    this.counters.connectionsAccepted += 1;
    client.on('error', () => {});
    if (this.closePromise !== undefined) {
      hardClose(client);
      return;
    }
    if (this.connections.size >= this.maximumConnections) {
      this.counters.connectionsRefused += 1;
      hardClose(client);
      return;
    }
    const { settings } = this;
    if (
      settings.dropScope === 'connection' &&
      settings.dropFraction > 0 &&
      this.context.random() < settings.dropFraction
    ) {
      this.counters.connectionsReset += 1;
      hardClose(client);
      return;
    }
    const upstream = net.connect({ host: this.target.host, port: this.target.port, allowHalfOpen: true });
    const connection = new ProxiedConnection(this.context, client, upstream);
    this.connections.add(connection);
    this.counters.connectionsOpen = this.connections.size;
  }
}
