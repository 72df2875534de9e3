// The client's view of the cluster: one gRPC channel per server, shared by every service, and the
// routing of each operation to the leader. The rules, in order:
// - Start with main (the first server) whenever it has not just failed; main is preferred
//   whenever it answers, so that in a split brain workstations stay with main.
// - A follower's refusal names the leader: go there at once (adding it to the list if new).
// - Timeouts, refused connections and refusals without a hint: try the next server after a
//   backoff that doubles per failure.
// - Term fencing: remember the highest term seen in any header or error, and treat an answer from
//   an older term as a failed attempt, because it may come from a deposed leader.
// Every attempt of one operation is the same request (same request id), so retries are safe.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { CertificateFileError, CertificateFiles, channelCredentials } from '@tandem/pki';
import type { AdminServiceClient, ResponseHeader__Output, WorkstationServiceClient } from '@tandem/wire';
import { loadTandemProto } from '@tandem/wire';
import { AttemptWatchingCredentials } from './attempt-watching-credentials.js';
import {
  describeFailure,
  FencedError,
  type LeaderHint,
  RateLimitedError,
  SettingsError,
  TandemError,
  UnavailableError,
} from './errors.js';
import { handshakeSlots } from './handshake-slots.js';
import type { ClientSettings } from './settings.js';
import { MAX_RETRY_BACKOFF_MS, MAX_SERVERS } from './settings.js';

/** The node that answered the last leader-routed operation, as the client knows it. */
export interface LeaderInfo {
  leaderId: string;
  address: string;
  term: number;
}

/** Every Tandem response carries a header with the responder's term. */
export interface Answer {
  header: ResponseHeader__Output | null;
}

/** Makes one attempt of an operation against one server. */
export type Attempt<Response> = (address: string, callOptions: grpc.CallOptions) => Promise<Response>;

export interface CallLimits {
  /**
   * A performance.now() time after which no attempt starts and no attempt runs past; a lease
   * renewal uses it so that it stops trying when the lease would have expired anyway.
   */
  untilMs?: number;
}

/** Servers the client reaches, configured or hinted, plus per-node addresses: a limit. */
const MAX_ENDPOINTS = 32;

/**
 * Reconnect quickly: a channel in backoff fails calls at once, which would keep the client away
 * from a main that has come back for up to grpc's default two minutes. And replace a stalled
 * connection: after a firewall dropped its packets for a while, TCP may retransmit at intervals of
 * up to two minutes while every call on it times out; a keepalive ping unanswered for 2 s closes
 * it, and the channel opens a fresh one.
 */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.keepalive_time_ms': 1000,
  'grpc.keepalive_timeout_ms': 2000,
  'grpc.keepalive_permit_without_calls': 1,
  // A client is one workstation (or one operator): its own connections, never shared with another
  // client in the same process, which grpc-js would otherwise do for channels with equal settings.
  'grpc.use_local_subchannel_pool': 1,
};

/**
 * A channel whose TCP connect has not succeeded this long after its attempt started (got its
 * handshake slot, handshake-slots.ts) is closed and replaced by a new one. grpc-js gives a connection attempt no deadline: it lasts until the TCP connect succeeds or
 * the kernel gives up on it, and a connect begun while a firewall dropped packets waits on the
 * kernel's SYN retransmissions (1, 3, 7, 15 s... after the first on most kernels), so a workstation
 * stayed away from a server for seconds after the link came back. A new channel's attempt sends its
 * first SYN at once. A TCP connect on a working network takes far less than this; the calls waiting
 * for the abandoned channel fail (UNAVAILABLE), and are retried as any other failure. The abandoned
 * attempt's socket is closed when it connects or the kernel gives up on it (grpc-js cannot cancel
 * it); one channel per server address is replaced at most once per timeout.
 */
export const CONNECT_TIMEOUT_MS = 2000;

/** whenConnected looks at a channel again at least this often (it may have been replaced). */
const WHEN_CONNECTED_POLL_MS = 250;

/**
 * Once the TCP connection is up, the TLS and HTTP/2 handshakes get this long (from the TCP connect)
 * before the channel is replaced. They progress as fast as the two processes' CPUs allow, so giving
 * one up helps only when the connection died under it: a new attempt costs the same handshake
 * again, and the abandoned one runs to its end all the same (grpc-js cannot cancel it). With the
 * connect timeout applied to whole attempts, and every attempt started at once, 256 workstations in
 * one process (512 channels, one per server each, on 2 shared cores, where the first handshake
 * finished after 6.5-24 s) gave up every attempt at 2 s and started them all again, round after
 * round: the bench saw 3-642 ops/s and a p99 of 6-97 s (docs/performance.md, "Spread at 256
 * workstations"). Attempts now also wait for a handshake slot, so that each one's handshakes take
 * a few handshake times, not the time of all of them.
 */
export const HANDSHAKE_TIMEOUT_MS = 20_000;

/**
 * A channel in grpc's reconnect backoff fails every call at once until its next attempt (up to
 * 'grpc.max_reconnect_backoff_ms' away). A server that restarted on its address (a rolling upgrade,
 * a hand-back to a node that just came back) is then unreachable for up to that long although it
 * listens: a workstation that a leader sent to it used up its attempts on instant failures (the
 * drain test, on a loaded machine). Such a channel is replaced before an attempt, so that the call
 * connects now; at most once per this interval per server, so a server that is really down costs
 * one refused connect per interval, not one per attempt.
 */
const REVIVE_INTERVAL_MS = 200;

/** The longest a client waits when a server says it sends too many calls, per attempt. */
const MAX_RATE_LIMIT_WAIT_MS = 5000;
/** And in all, for one operation, before the rate limit is reported to the caller. */
const MAX_RATE_LIMITED_TOTAL_MS = 30_000;

/**
 * TLS towards the cluster (CA, and the client's certificate or a bearer token), or plaintext when
 * the settings say insecure. The server's certificate must be a node of the cluster (or valid for
 * the host name, for a certificate from an enterprise CA).
 */
export function connectionCredentials(settings: ClientSettings): {
  credentials: grpc.ChannelCredentials;
  files: CertificateFiles | null;
} {
  if (settings.insecure || settings.tls === undefined) {
    return { credentials: grpc.credentials.createInsecure(), files: null };
  }
  let files: CertificateFiles;
  try {
    files = new CertificateFiles(settings.tls, {
      fields: { ca: 'tls.ca', cert: 'tls.cert', key: 'tls.key' },
    });
  } catch (error) {
    if (error instanceof CertificateFileError) {
      throw new SettingsError(error.field, error.message.slice(error.field.length + 2));
    }
    throw error;
  }
  let credentials = channelCredentials(files, { role: 'any-node' });
  const token = settings.token;
  if (token !== undefined) {
    credentials = grpc.credentials.combineChannelCredentials(
      credentials,
      grpc.credentials.createFromMetadataGenerator((_options, callback) => {
        const metadata = new grpc.Metadata();
        metadata.set('authorization', `Bearer ${token}`);
        callback(null, metadata);
      }),
    );
  }
  return { credentials, files };
}

interface Endpoint {
  channel: grpc.Channel;
  workstation: WorkstationServiceClient | null;
  admin: AdminServiceClient | null;
  /** When this channel replaced one in reconnect backoff (#reviveIfBackingOff), or null. */
  revivedAtMs: number | null;
  /** The channel's credentials, which pace its attempts and tell how far the latest one got. */
  credentials: AttemptWatchingCredentials;
}

interface NextTarget {
  address: string;
  followsHint: boolean;
}

/**
 * When (performance.now()) the channel's current connection attempt is given up: never while it
 * waits for a handshake slot; CONNECT_TIMEOUT_MS after it started, unless its TCP connection came
 * up meanwhile; then HANDSHAKE_TIMEOUT_MS after that.
 */
function connectDeadlineMs(endpoint: Endpoint): number {
  const { phase, sinceMs } = endpoint.credentials.stage;
  if (phase === 'connecting') return sinceMs + CONNECT_TIMEOUT_MS;
  if (phase === 'handshaking') return sinceMs + HANDSHAKE_TIMEOUT_MS;
  return Number.POSITIVE_INFINITY;
}

export class ClusterConnection extends EventEmitter {
  readonly settings: ClientSettings;
  readonly #servers: string[];
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #credentials: grpc.ChannelCredentials;
  /** The certificate files in use (reloaded when they change); null on an insecure connection. */
  readonly #files: CertificateFiles | null;
  #highestTerm = 0;
  #leader: LeaderInfo | null = null;
  /** Until this performance.now() time operations start at the known leader instead of main. */
  #avoidMainUntilMs = 0;
  #closed = false;
  /** Set by keepConnected(): every configured server's channel is kept connected. */
  #standby = false;

  constructor(settings: ClientSettings) {
    super();
    if (settings.servers.length === 0) throw new TypeError('ClusterConnection needs at least one server');
    this.settings = settings;
    this.#servers = [...settings.servers];
    const security = connectionCredentials(settings);
    this.#credentials = security.credentials;
    this.#files = security.files;
  }

  /** The identity this client's certificate names, if it has one (a workstation's id, say). */
  get certificateIdentity(): { role: string; name: string } | null {
    return this.#files?.identity ?? null;
  }

  /** The servers in the order they are tried: the configured ones, then any learned from hints. */
  get servers(): readonly string[] {
    return [...this.#servers];
  }

  /** The highest term seen in any answer. */
  get term(): number {
    return this.#highestTerm;
  }

  get leader(): LeaderInfo | null {
    return this.#leader === null ? null : { ...this.#leader };
  }

  get closed(): boolean {
    return this.#closed;
  }

  workstationService(address: string): WorkstationServiceClient {
    const endpoint = this.#endpoint(address);
    const { WorkstationService } = loadTandemProto().tandem.v1;
    endpoint.workstation ??= new WorkstationService(address, this.#credentials, {
      channelOverride: endpoint.channel,
    });
    return endpoint.workstation;
  }

  adminService(address: string): AdminServiceClient {
    const endpoint = this.#endpoint(address);
    const { AdminService } = loadTandemProto().tandem.v1;
    endpoint.admin ??= new AdminService(address, this.#credentials, { channelOverride: endpoint.channel });
    return endpoint.admin;
  }

  /** Raises the highest term seen; lower terms are ignored. */
  observeTerm(term: number | null | undefined): void {
    if (term !== null && term !== undefined && term > this.#highestTerm) this.#highestTerm = term;
  }

  /**
   * Runs an operation on the leader, retrying elsewhere as the rules at the top of this file say.
   * Throws the typed error of a final answer (a rejection, invalid input), or UnavailableError when
   * the attempts run out.
   */
  async call<Response extends Answer>(
    operation: string,
    attempt: Attempt<Response>,
    limits: CallLimits = {},
  ): Promise<Response> {
    this.#assertOpen();
    const main = this.#mainAddress();
    const hintedAddresses = new Set<string>();
    let address = this.#startAddress();
    let lastError: TandemError | null = null;
    let failures = 0;
    let pauseMs = 0;
    let attempts = 0;
    let rateLimitedMs = 0;
    while (attempts < this.settings.maxAttempts) {
      if (pauseMs > 0) await sleep(pauseMs);
      this.#assertOpen();
      const timeoutMs = this.#attemptTimeoutMs(limits);
      if (timeoutMs <= 0) break;
      attempts += 1;
      let next: NextTarget;
      try {
        this.#reviveIfBackingOff(address);
        const response = await attempt(address, { deadline: Date.now() + timeoutMs });
        const fenced = this.#fence(response.header, address);
        if (fenced === null) {
          this.#accept(address, response.header as ResponseHeader__Output);
          return response;
        }
        lastError = fenced;
        next = { address: this.#nextServer(address), followsHint: false };
      } catch (error) {
        const failure = describeFailure(error, address);
        const stale = failure.term !== null && failure.term < this.#highestTerm;
        this.observeTerm(failure.term);
        if (!failure.error.retryable && !stale) throw failure.error;
        if (failure.error instanceof RateLimitedError) {
          // The server is fine and asks this client to slow down: wait as told and ask it again.
          // Such a wait is not a failed attempt; the time spent waiting is bounded instead.
          lastError = failure.error;
          pauseMs = Math.min(failure.error.retryAfterMs, MAX_RATE_LIMIT_WAIT_MS);
          rateLimitedMs += pauseMs;
          if (rateLimitedMs > MAX_RATE_LIMITED_TOTAL_MS) throw failure.error;
          attempts -= 1;
          continue;
        }
        lastError = stale ? new FencedError(failure.term, this.#highestTerm, address) : failure.error;
        const hinted = stale ? null : this.#hintedAddress(failure.hint);
        if (hinted !== null && hinted !== address && !hintedAddresses.has(hinted)) {
          hintedAddresses.add(hinted);
          next = { address: this.#learnServer(hinted), followsHint: true };
        } else {
          next = { address: this.#nextServer(address), followsHint: false };
        }
      }
      if (address === main) this.#avoidMainUntilMs = performance.now() + this.settings.mainRetryIntervalMs;
      // A fresh hint is followed at once; anything else waits, so that an election can finish.
      pauseMs = next.followsHint ? 0 : this.#backoffMs(failures);
      if (!next.followsHint) failures += 1;
      address = next.address;
    }
    const reason = lastError === null ? 'no attempt was made in time' : lastError.message;
    throw new UnavailableError(
      `${operation}: no server answered after ${attempts} attempt(s): ${reason}`,
      attempts,
      {
        cause: lastError ?? undefined,
        grpcCode: lastError?.grpcCode ?? null,
        address: lastError?.address ?? null,
      },
    );
  }

  /**
   * Runs one attempt on one named server: no redirect, no retry, no fencing (a per-node question
   * such as "what is your status" wants the answer of that node, stale or not). The term is still
   * observed. Transport failures become UnavailableError.
   */
  async callNode<Response extends Answer>(address: string, attempt: Attempt<Response>): Promise<Response> {
    this.#assertOpen();
    try {
      const response = await attempt(address, { deadline: Date.now() + this.settings.requestTimeoutMs });
      this.observeTerm(response.header?.term);
      return response;
    } catch (error) {
      const failure = describeFailure(error, address);
      this.observeTerm(failure.term);
      if (!failure.error.retryable) throw failure.error;
      throw new UnavailableError(`${address}: ${failure.error.message}`, 1, {
        cause: failure.error,
        grpcCode: failure.error.grpcCode,
        term: failure.term,
        address,
      });
    }
  }

  /**
   * Opens a connection to every configured server now and keeps each one open (reopened when an
   * established one goes idle or is closed), so that when leadership moves, the calls that follow it
   * to the new leader find a TLS connection ready instead of all handshaking at once: with 64
   * workstations on one machine, those handshakes were most of a planned handover's write gap. A
   * server that cannot be reached is not retried in the background; the next call to it connects.
   * The workstation client calls this; a one-off admin command does not.
   */
  keepConnected(): void {
    if (this.#closed || this.#standby) return;
    this.#standby = true;
    for (const address of this.#servers) this.#endpoint(address).channel.getConnectivityState(true);
  }

  /**
   * Resolves true once the channel to every configured server is connected (READY), false when
   * timeoutMs pass first. Asks each channel to connect; a channel replaced meanwhile (a stalled
   * attempt) is followed to its successor.
   */
  async whenConnected(timeoutMs: number): Promise<boolean> {
    const deadlineMs = performance.now() + timeoutMs;
    for (const address of this.#servers) {
      for (;;) {
        this.#assertOpen();
        const { channel } = this.#endpoint(address);
        const state = channel.getConnectivityState(true);
        if (state === grpc.connectivityState.READY) break;
        const remainingMs = deadlineMs - performance.now();
        if (remainingMs <= 0) return false;
        const waitMs = Math.min(remainingMs, WHEN_CONNECTED_POLL_MS);
        if (state === grpc.connectivityState.SHUTDOWN) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, 5)));
          continue;
        }
        await new Promise<void>((resolve) =>
          channel.watchConnectivityState(state, Date.now() + waitMs, () => resolve()),
        );
      }
    }
    return true;
  }

  /** Closes every channel; calls in flight fail, later calls throw a 'closed' error. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const endpoint of this.#endpoints.values()) this.#closeChannel(endpoint);
    this.#endpoints.clear();
    this.#files?.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new TandemError('closed', 'the connection is closed', { retryable: false });
  }

  #endpoint(address: string): Endpoint {
    this.#assertOpen();
    let endpoint = this.#endpoints.get(address);
    if (endpoint === undefined) {
      if (this.#endpoints.size >= MAX_ENDPOINTS) {
        throw new TandemError('too_many_servers', `more than ${MAX_ENDPOINTS} server addresses`, {
          retryable: false,
        });
      }
      endpoint = this.#openEndpoint(address);
    }
    return endpoint;
  }

  /** A new channel to a server, in place of any previous one, watched for a stalled connect. */
  #openEndpoint(address: string): Endpoint {
    const credentials = new AttemptWatchingCredentials(this.#credentials, {
      address,
      slots: handshakeSlots,
      tcpSlotMs: CONNECT_TIMEOUT_MS,
    });
    const endpoint: Endpoint = {
      channel: new grpc.Channel(address, credentials, CHANNEL_OPTIONS),
      workstation: null,
      admin: null,
      revivedAtMs: null,
      credentials,
    };
    this.#endpoints.set(address, endpoint);
    this.#watch(address, endpoint);
    return endpoint;
  }

  /** Closes an endpoint's channel; an attempt it leaves running holds no handshake slot. */
  #closeChannel(endpoint: Endpoint): void {
    endpoint.credentials.abandon();
    endpoint.channel.close();
  }

  /** Replaces the server's channel if it is in reconnect backoff (see REVIVE_INTERVAL_MS). */
  #reviveIfBackingOff(address: string): void {
    const endpoint = this.#endpoints.get(address);
    if (endpoint === undefined) return;
    if (endpoint.channel.getConnectivityState(false) !== grpc.connectivityState.TRANSIENT_FAILURE) return;
    const nowMs = performance.now();
    if (endpoint.revivedAtMs !== null && nowMs - endpoint.revivedAtMs < REVIVE_INTERVAL_MS) return;
    const fresh = this.#openEndpoint(address);
    fresh.revivedAtMs = nowMs;
    this.#closeChannel(endpoint);
  }

  /**
   * Follows a channel's state. An attempt past its deadline (connectDeadlineMs) is replaced; one
   * still connecting is looked at again at least every CONNECT_TIMEOUT_MS, since its deadline moves
   * as it gets a slot and connects.
   */
  #watch(address: string, endpoint: Endpoint): void {
    const { channel } = endpoint;
    const state = channel.getConnectivityState(false);
    if (state === grpc.connectivityState.SHUTDOWN) return;
    const deadline =
      state === grpc.connectivityState.CONNECTING
        ? Date.now() +
          Math.max(0, Math.min(connectDeadlineMs(endpoint) - performance.now(), CONNECT_TIMEOUT_MS))
        : Number.POSITIVE_INFINITY;
    channel.watchConnectivityState(state, deadline, (error) => {
      if (this.#closed || this.#endpoints.get(address) !== endpoint) return;
      if (
        error !== undefined &&
        channel.getConnectivityState(false) === grpc.connectivityState.CONNECTING &&
        performance.now() >= connectDeadlineMs(endpoint)
      ) {
        // The service clients go with the channel they were made for: the next call makes new ones.
        this.#openEndpoint(address);
        this.#closeChannel(endpoint);
        return;
      }
      // An established standby connection that went idle or was closed is opened again at once.
      if (
        this.#standby &&
        state === grpc.connectivityState.READY &&
        channel.getConnectivityState(false) === grpc.connectivityState.IDLE
      )
        channel.getConnectivityState(true);
      this.#watch(address, endpoint);
    });
  }

  #mainAddress(): string {
    const main = this.#servers[0];
    if (main === undefined) throw new Error('the server list is empty');
    return main;
  }

  #startAddress(): string {
    const main = this.#mainAddress();
    if (performance.now() >= this.#avoidMainUntilMs) return main;
    if (this.#leader !== null) return this.#leader.address;
    return this.#nextServer(main);
  }

  #nextServer(address: string): string {
    const index = this.#servers.indexOf(address);
    const next = this.#servers[(index + 1) % this.#servers.length];
    if (next === undefined) throw new Error('the server list is empty');
    return next;
  }

  /** Adds a hinted address to the rotation (within the limit) and returns it. */
  #learnServer(address: string): string {
    if (!this.#servers.includes(address) && this.#servers.length < MAX_SERVERS) this.#servers.push(address);
    return address;
  }

  /** A hint's address, or the address of the hinted leader id when the client already knows it. */
  #hintedAddress(hint: LeaderHint | null): string | null {
    if (hint === null) return null;
    if (hint.address !== null) return hint.address;
    if (hint.leaderId !== null && this.#leader?.leaderId === hint.leaderId) return this.#leader.address;
    return null;
  }

  #attemptTimeoutMs(limits: CallLimits): number {
    if (limits.untilMs === undefined) return this.settings.requestTimeoutMs;
    return Math.min(this.settings.requestTimeoutMs, Math.floor(limits.untilMs - performance.now()));
  }

  #backoffMs(failures: number): number {
    const ceilingMs = Math.min(
      this.settings.retryBackoffMs * 2 ** Math.min(failures, 16),
      MAX_RETRY_BACKOFF_MS,
    );
    // Jitter keeps many workstations that lost the same leader from retrying in step.
    return Math.round(ceilingMs / 2 + (Math.random() * ceilingMs) / 2);
  }

  #fence(header: ResponseHeader__Output | null, address: string): FencedError | null {
    if (header === null) return new FencedError(null, this.#highestTerm, address);
    if (header.term < this.#highestTerm) return new FencedError(header.term, this.#highestTerm, address);
    return null;
  }

  #accept(address: string, header: ResponseHeader__Output): void {
    this.observeTerm(header.term);
    if (header.state !== 'NODE_STATE_LEADER') return;
    const leaderId = header.nodeId === '' ? address : header.nodeId;
    const previous = this.#leader;
    this.#leader = { leaderId, address, term: header.term };
    if (previous === null || previous.leaderId !== leaderId || previous.address !== address) {
      this.emit('leader-changed', { ...this.#leader });
    }
  }
}
