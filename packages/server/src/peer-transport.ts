// The replica's transport to a real peer over gRPC PeerService. Every request-type message the core
// emits becomes one RPC on a channel kept per peer, except appends, which go in order on one stream
// per peer (see append-stream.ts); the answer is turned back into the core's
// response message and stepped in. Response-type messages (answers to the peer's own RPCs) are
// handed to the RPC that waits for them (see pending-responses.ts).
//
// Failures are normal here: Raft tolerates lost messages and retransmits, so a failed or timed-out
// RPC only tells the core that the peer is unreachable, and a full window drops the message.
import type * as grpc from '@grpc/grpc-js';
import type { InstallSnapshotMessage, Message, NodeId, Snapshot, SnapshotReport } from '@tandem/consensus';
import { encodeConfiguration } from '@tandem/consensus';
import type {
  AppendEntriesResponse__Output,
  InstallSnapshotChunk,
  InstallSnapshotResponse__Output,
  MergeOfferResponse__Output,
  PeerServiceClient,
  RequestVoteResponse__Output,
  ResponseHeader__Output,
  TimeoutNowResponse__Output,
} from '@tandem/wire';
import { loadTandemProto } from '@tandem/wire';
import { AppendStream } from './append-stream.js';
import type { TandemConfig } from './config.js';
import type { Logger } from './logger.js';
import type { NodeCredentials } from './node-credentials.js';
import {
  MemberClient,
  memberProbeTimings,
  peerChannelOptions,
  peerConnectTimeoutMs,
} from './peer-channel.js';
import type { PeerContacts } from './peer-contact.js';
import {
  appendEntriesResponseFromWire,
  appendEntriesToWire,
  installSnapshotResponseFromWire,
  isPeerResponse,
  mergeOfferResponseFromWire,
  mergeOfferToWire,
  type PeerRequestMessage,
  peerMessageLimits,
  requestVoteResponseFromWire,
  requestVoteToWire,
  timeoutNowToWire,
} from './peer-messages.js';
import type { PendingResponses } from './pending-responses.js';
import type { ReplicaStatus, Transport } from './replica.js';
import { type SnapshotOffer, snapshotChecksum, snapshotChunks } from './snapshot-stream.js';
import { WitnessClient } from './witness-client.js';

/** What the transport needs from the replica: the core's inputs, and a look at its state. */
export interface PeerSink {
  /**
   * Steps a message into the core. For the answer to a request this node sent, requestSentAtMs is
   * when that request left (by the transport's clock, which must be the sink's): a leader counts its
   * contact with a member from when it asked, not from when the answer was read, so that answers
   * queued while its process was stopped cannot vouch for the present.
   */
  step(message: Message, requestSentAtMs?: number): void;
  reportUnreachable(peer: NodeId): void;
  /** A vote request (of this term and kind) could not be delivered: the peer's port refused it. */
  reportVoteRefused(peer: NodeId, request: { term: number; preVote: boolean }): void;
  reportSnapshot(peer: NodeId, report: SnapshotReport): void;
  status(): ReplicaStatus;
}

/** Deadlines and waits of peer traffic, all derived from the configured timing. */
export interface PeerTimings {
  /** Deadline of one unary RPC. */
  rpcDeadlineMs: number;
  /** How long a receiving node waits for its core's answer (a little under the deadline). */
  responseWaitMs: number;
  /**
   * How long an AppendEntries that carries entries may wait for its answer: the follower answers
   * only once they are durable, which on a busy machine (or catching up thousands of entries after
   * a merge) takes longer than a heartbeat's round trip. The receiving side's wait derives from it.
   */
  entriesDeadlineMs: number;
  /**
   * Deadline of one append on the ordered stream (heartbeats included: they wait behind the appends
   * before them), counted only while the stream answers nothing (append-stream.ts). Past it the
   * stream is broken and the leader probes again, from where the follower
   * last answered; if the leader compacted its log past that point meanwhile, the follower needs a
   * whole snapshot. A follower catching up takes its own snapshots and applies large batches, each
   * blocking it for a second or more on a busy machine, so this is a few failover timeouts: a dead
   * connection is found sooner by the channel's keepalive (see peer-channel.ts).
   */
  appendStreamDeadlineMs: number;
  /** How long a receiving node waits for its core to persist entries and answer. */
  entriesResponseWaitMs: number;
  /** Deadline of one InstallSnapshot stream. */
  snapshotDeadlineMs: number;
  /** How long a receiving node waits for its core to persist a snapshot and answer. */
  snapshotResponseWaitMs: number;
}

export function peerTimings(config: TandemConfig): PeerTimings {
  const rpcDeadlineMs = Math.max(5 * config.timing.heartbeatIntervalMs, 250);
  const entriesDeadlineMs = Math.max(rpcDeadlineMs, config.timing.failoverTimeoutMs);
  return {
    rpcDeadlineMs,
    responseWaitMs: Math.floor(rpcDeadlineMs * 0.8),
    entriesDeadlineMs,
    entriesResponseWaitMs: Math.floor(entriesDeadlineMs * 0.8),
    appendStreamDeadlineMs: Math.max(entriesDeadlineMs, 3 * config.timing.failoverTimeoutMs),
    snapshotDeadlineMs: 120_000,
    snapshotResponseWaitMs: 60_000,
  };
}

interface Outcome<Response> {
  error: grpc.ServiceError | null;
  response: Response | undefined;
}

/**
 * Trailing metadata on a peer's reply that stands for no answer: the peer's core did not answer in
 * time, so the reply (a refusal at the peer's current term) must not count as a refusal. In pair
 * mode silence counts as consent, and refusals are said out loud.
 */
export const NO_ANSWER_KEY = 'tandem-peer-no-answer';

export function noAnswer(metadata: grpc.Metadata | undefined): boolean {
  return (metadata?.get(NO_ANSWER_KEY) ?? []).length > 0;
}

/**
 * Whether a failed call never reached the peer because its port refused the connection: nothing
 * listens there (its process is gone; a stopped or cut-off process does not refuse). grpc-js fails
 * a call at once while its channel cannot connect, naming the last connection error, which may be
 * up to one reconnect backoff old (max(heartbeat, failover timeout / 2); the link probe replaces
 * the channel as soon as a connection gets through). Pair mode is safe whatever this says (term
 * ownership); it only spares a candidate the vote wait.
 */
export function refusedAtConnection(error: grpc.ServiceError | null): boolean {
  return error !== null && error.code === UNAVAILABLE && /\bECONNREFUSED\b/.test(error.details);
}

/** grpc.status.UNAVAILABLE (the type import keeps grpc-js's runtime out of this module). */
const UNAVAILABLE = 14;

/** Unary RPCs in flight to one peer beyond this are dropped (the core retransmits). */
export const MAX_INFLIGHT_RPCS_PER_PEER = 128;
/**
 * Appends outstanding on one peer's stream beyond this are not sent: the core is told, and probes
 * the follower again from where it last answered (see PeerTransport.call).
 */
export const MAX_OUTSTANDING_APPENDS_PER_PEER = 128;
/**
 * Empty appends (heartbeats, loss probes) are not sent once this many appends are outstanding on the
 * stream: the core's own window of appends with entries (maxInflightMessages, 64, in replica.ts)
 * then fits below MAX_OUTSTANDING_APPENDS_PER_PEER, however many heartbeats a slow
 * follower leaves unanswered.
 */
export const MAX_OUTSTANDING_EMPTY_APPENDS_PER_PEER = 32;
/** How often a peer's outstanding appends are checked against their deadlines. */
const APPEND_DEADLINE_CHECK_INTERVAL_MS = 25;
/** A resumed snapshot send opens at most this many streams before it reports failure. */
export const MAX_STREAMS_PER_SNAPSHOT = 3;

export interface PeerTransportOptions {
  config: TandemConfig;
  logger: Logger;
  responses: PendingResponses;
  contacts: PeerContacts;
  /** The latest snapshot in storage, to fill the core's install_snapshot messages. */
  loadSnapshot: () => Promise<Snapshot | null>;
  /** The replica's clock, to stamp when each request left (see PeerSink.step). */
  clock: () => number;
  /** mTLS to the peer's peer port and to the witness: each end's certificate must name it. */
  credentials: NodeCredentials;
}

export class PeerTransport implements Transport {
  private sink: PeerSink | null = null;
  /** Each peer's client, replaced when a connection attempt stalls (see MemberClient). */
  private readonly clients = new Map<NodeId, MemberClient<PeerServiceClient>>();
  private readonly inflight = new Map<NodeId, number>();
  private readonly appendStreams = new Map<NodeId, AppendStream>();
  private readonly snapshotsInFlight = new Set<NodeId>();
  /** Open InstallSnapshot streams, cancelled at close. */
  private readonly streams = new Set<grpc.ClientWritableStream<InstallSnapshotChunk>>();
  /** Peers whose last RPC failed, so that a dead peer is logged once rather than per heartbeat. */
  private readonly failing = new Set<NodeId>();
  private readonly timings: PeerTimings;
  private readonly selfId: NodeId;
  private closed = false;
  private droppedCount = 0;
  /** Peers whose stream refused an append with entries since it last took one (logged once). */
  private readonly appendsRefused = new Set<NodeId>();
  /** Witness mode: the channel to the witness, which serves WitnessService instead of PeerService. */
  private readonly witness: { id: NodeId; client: WitnessClient } | null = null;

  constructor(private readonly options: PeerTransportOptions) {
    const { config } = options;
    this.selfId = config.node.id;
    this.timings = peerTimings(config);
    const proto = loadTandemProto();
    for (const node of config.cluster.nodes) {
      if (node.id === this.selfId) continue;
      if (node.role === 'witness') {
        const client = new WitnessClient({
          config,
          logger: options.logger,
          contacts: options.contacts,
          witnessId: node.id,
          address: node.address,
          credentials: options.credentials.toMember('witness', node.id),
          rpcDeadlineMs: this.timings.rpcDeadlineMs,
          clock: options.clock,
          step: (message, requestSentAtMs) => this.attached.step(message, requestSentAtMs),
        });
        this.witness = { id: node.id, client };
        continue;
      }
      // Data nodes reach each other on the peer port, never on the client port.
      const address = node.peerAddress ?? node.address;
      const credentials = options.credentials.toMember('node', node.id);
      const client = new MemberClient({
        open: () => new proto.tandem.v1.PeerService(address, credentials, peerChannelOptions(config)),
        connectTimeoutMs: peerConnectTimeoutMs(config),
        probe: { address, ...memberProbeTimings(config) },
        // The append stream's call belongs to the channel just abandoned (a stalled connection's
        // call would wait for its deadline): the next append opens one on the new channel.
        replaced: (reason, byProbe) => {
          // Once per heal by the probe; every connect timeout while the peer stays away otherwise.
          options.logger.log(byProbe ? 'info' : 'debug', 'replaced the channel to a peer', {
            peer: node.id,
            reason,
          });
          this.appendStreams.get(node.id)?.restart(`the channel was replaced: ${reason}`);
        },
      });
      this.clients.set(node.id, client);
      this.inflight.set(node.id, 0);
      this.appendStreams.set(node.id, this.appendStream(node.id, client));
    }
  }

  /** Connects the transport to the replica it serves; once, before the replica starts. */
  attach(sink: PeerSink): void {
    if (this.sink !== null) throw new Error('the peer transport is already attached');
    this.sink = sink;
  }

  /** Messages dropped because a peer's window was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  send(messages: Message[]): void {
    for (const message of messages) {
      if (this.closed) return;
      if (this.witness !== null && message.to === this.witness.id) {
        this.witness.client.send(message);
        continue;
      }
      if (message.type === 'witness_record' || message.type === 'witness_record_response') {
        this.options.logger.error('the core sent a witness message to a data node', { to: message.to });
        continue;
      }
      if (isPeerResponse(message)) {
        if (!this.options.responses.deliver(message)) {
          this.options.logger.debug('an answer found no waiting RPC', { type: message.type, to: message.to });
        }
        continue;
      }
      if (!this.clients.has(message.to)) {
        this.options.logger.error('the core addressed a node that is not a configured peer', {
          to: message.to,
        });
        continue;
      }
      if (message.type === 'install_snapshot') {
        void this.sendSnapshot(message);
        continue;
      }
      this.call(message);
    }
  }

  /** Stops sending and closes every channel; answers still in flight are ignored. */
  close(): void {
    this.closed = true;
    for (const stream of this.streams) stream.cancel();
    this.streams.clear();
    for (const stream of this.appendStreams.values()) stream.close();
    this.witness?.client.close();
    for (const client of this.clients.values()) client.close();
  }

  private get attached(): PeerSink {
    if (this.sink === null) throw new Error('the peer transport is not attached to a replica');
    return this.sink;
  }

  /** The ordered stream of appends to one peer; its answers are stepped like a unary call's. */
  private appendStream(peer: NodeId, client: MemberClient<PeerServiceClient>): AppendStream {
    return new AppendStream({
      open: () => client.client.AppendEntriesStream(),
      clock: this.options.clock,
      maxOutstanding: MAX_OUTSTANDING_APPENDS_PER_PEER,
      maxOutstandingEmpty: MAX_OUTSTANDING_EMPTY_APPENDS_PER_PEER,
      deadlineMs: this.timings.appendStreamDeadlineMs,
      deadlineCheckIntervalMs: APPEND_DEADLINE_CHECK_INTERVAL_MS,
      answered: (response, answeredByCore, requestSentAtMs) => {
        if (this.closed) return;
        const convert = answeredByCore
          ? (answer: AppendEntriesResponse__Output) =>
              appendEntriesResponseFromWire(answer, peer, this.selfId)
          : () => null;
        this.answered(peer, response, convert, requestSentAtMs);
      },
      failed: (reason, outstanding) => {
        // A stream that ends with nothing outstanding lost nothing (a restarted peer, say).
        if (this.closed || outstanding === 0) return;
        this.unreachable(peer, reason);
      },
    });
  }

  private call(message: Exclude<PeerRequestMessage, InstallSnapshotMessage>): void {
    const peer = message.to;
    if (message.type === 'append_entries') {
      const stream = this.appendStreams.get(peer);
      if (stream === undefined) return;
      if (stream.send(appendEntriesToWire(message))) {
        this.appendsRefused.delete(peer);
        return;
      }
      this.droppedCount += 1;
      // An empty append that was not sent is repeated by the next heartbeat. Entries that were not
      // sent would leave a gap the follower refuses (every append after it, one by one), so the core
      // is told at once and probes from the follower's last answer, as after a broken stream.
      if (message.entries.length === 0) return;
      if (!this.appendsRefused.has(peer)) {
        this.appendsRefused.add(peer);
        this.options.logger.info('the append stream to a peer is full: probing it again', {
          peer,
          outstanding: stream.outstandingCount,
          firstIndex: message.prevLogIndex + 1,
        });
      }
      // After the Ready being sent is carried out, like every other input from the transport.
      queueMicrotask(() => {
        if (!this.closed) this.attached.reportUnreachable(peer);
      });
      return;
    }
    const client = this.clients.get(peer)?.client;
    const inflight = this.inflight.get(peer) ?? 0;
    if (client === undefined) return;
    if (inflight >= MAX_INFLIGHT_RPCS_PER_PEER) {
      this.droppedCount += 1;
      return;
    }
    this.inflight.set(peer, inflight + 1);
    const sentAtMs = this.options.clock();
    const options: grpc.CallOptions = { deadline: Date.now() + this.timings.rpcDeadlineMs };
    // The answer is handled once the call's status (with its trailing metadata) is in: grpc-js
    // calls the callback first and emits the status right after.
    const track = <Response extends { header: ResponseHeader__Output | null }>(
      call: grpc.ClientUnaryCall,
      outcome: { error: grpc.ServiceError | null; response: Response | undefined },
      convert: (response: Response) => Message | null,
    ) => {
      call.on('status', (status: grpc.StatusObject) => {
        this.inflight.set(peer, (this.inflight.get(peer) ?? 1) - 1);
        if (this.closed) return;
        const { error, response } = outcome;
        if (error !== null || response === undefined) {
          this.unreachable(peer, error?.details ?? status.details);
          return;
        }
        this.answered(peer, response, noAnswer(status.metadata) ? () => null : convert, sentAtMs);
      });
    };
    switch (message.type) {
      case 'request_vote': {
        const outcome: Outcome<RequestVoteResponse__Output> = { error: null, response: undefined };
        const call = client.RequestVote(requestVoteToWire(message), options, (error, response) => {
          Object.assign(outcome, { error, response });
          if (this.closed || !refusedAtConnection(error)) return;
          // Reported before the unreachable that the status brings: nothing will answer.
          this.attached.reportVoteRefused(peer, { term: message.term, preVote: message.preVote });
        });
        track(call, outcome, (answer) => requestVoteResponseFromWire(answer, peer, this.selfId));
        break;
      }
      case 'merge_offer': {
        const outcome: Outcome<MergeOfferResponse__Output> = { error: null, response: undefined };
        const call = client.MergeOffer(mergeOfferToWire(message), options, (error, response) => {
          Object.assign(outcome, { error, response });
        });
        track(call, outcome, (answer) => mergeOfferResponseFromWire(answer, peer, this.selfId));
        break;
      }
      case 'timeout_now': {
        // TimeoutNow has no answer in the core: the peer campaigns, and its votes say the rest.
        const outcome: Outcome<TimeoutNowResponse__Output> = { error: null, response: undefined };
        const call = client.TimeoutNow(timeoutNowToWire(message), options, (error, response) => {
          Object.assign(outcome, { error, response });
        });
        track(call, outcome, () => null);
        break;
      }
    }
  }

  /** Steps a peer's answer into the core, after checking that the right node gave it. */
  private answered<Response extends { header: ResponseHeader__Output | null }>(
    peer: NodeId,
    response: Response,
    convert: (response: Response) => Message | null,
    requestSentAtMs: number,
  ): void {
    // Any answer shows that the link and the channel work (a new channel would reach the same node).
    this.clients.get(peer)?.answered();
    const header = response.header;
    if (header === null || header.nodeId !== peer) {
      // The configured address leads to another node: nothing it says may reach the core.
      this.unreachable(peer, `the node at ${peer}'s address is "${header?.nodeId ?? '?'}"`);
      return;
    }
    this.options.contacts.heardFrom(peer, header.term);
    if (this.failing.delete(peer)) this.options.logger.info('peer reachable again', { peer });
    let message: Message | null;
    try {
      message = convert(response);
    } catch (error) {
      this.options.logger.warn('malformed answer from a peer', { peer, error: (error as Error).message });
      // After the Ready being sent is carried out, like every other input from the transport.
      queueMicrotask(() => {
        if (!this.closed) this.attached.reportUnreachable(peer);
      });
      return;
    }
    if (message === null) return;
    const sink = this.attached;
    sink.step(message, requestSentAtMs);
    if (message.type === 'append_entries_response' && message.success) {
      const status = sink.status();
      const progress = status.progress?.[peer];
      if (progress !== undefined && progress.matchIndex >= status.lastIndex)
        this.options.contacts.caughtUp(peer);
    }
  }

  private unreachable(peer: NodeId, reason: string): void {
    this.options.contacts.failedToReach(peer);
    // Probe the link until the peer answers again (see MemberClient).
    this.clients.get(peer)?.unreachable();
    if (!this.failing.has(peer)) {
      this.failing.add(peer);
      this.options.logger.warn('peer unreachable', { peer, reason });
    }
    this.attached.reportUnreachable(peer);
  }

  // ---------------------------------------------------------------------------------------------
  // Snapshots.

  /** Streams the stored snapshot the core asked for; one stream per peer at a time. */
  private async sendSnapshot(message: InstallSnapshotMessage): Promise<void> {
    const peer = message.to;
    if (this.snapshotsInFlight.has(peer)) return;
    this.snapshotsInFlight.add(peer);
    try {
      const report = await this.streamSnapshot(message);
      if (!this.closed) this.attached.reportSnapshot(peer, report);
    } catch (error) {
      if (this.closed) return;
      this.options.contacts.failedToReach(peer);
      this.options.logger.warn('snapshot stream failed', { peer, error: (error as Error).message });
      this.attached.reportSnapshot(peer, 'failed');
    } finally {
      this.snapshotsInFlight.delete(peer);
    }
  }

  private async streamSnapshot(message: InstallSnapshotMessage): Promise<SnapshotReport> {
    const peer = message.to;
    const { metadata } = message.snapshot;
    const stored = await this.options.loadSnapshot();
    if (
      stored === null ||
      stored.metadata.index !== metadata.index ||
      stored.metadata.term !== metadata.term
    ) {
      // The log was compacted again since the core asked; it asks again with the newer snapshot.
      this.options.logger.info('the stored snapshot moved on; the leader will offer the newer one', {
        peer,
        wanted: metadata.index,
        stored: stored?.metadata.index ?? null,
      });
      return 'failed';
    }
    const offer: SnapshotOffer = {
      term: message.term,
      leaderId: this.selfId,
      snapshotIndex: metadata.index,
      snapshotTerm: metadata.term,
      configuration: encodeConfiguration(metadata.configuration),
      totalBytes: stored.data.byteLength,
      checksum: snapshotChecksum(stored.data),
    };
    this.options.logger.info('sending snapshot', { peer, index: metadata.index, bytes: offer.totalBytes });
    let offset = 0;
    for (let stream = 0; stream < MAX_STREAMS_PER_SNAPSHOT && !this.closed; stream += 1) {
      const { response, answered } = await this.streamFrom(peer, offer, stored.data, offset);
      const header = response.header;
      if (header === null || header.nodeId !== peer) {
        this.unreachable(peer, `the node at ${peer}'s address is "${header?.nodeId ?? '?'}"`);
        return 'failed';
      }
      this.options.contacts.heardFrom(peer, header.term);
      const resume = !response.success && response.bytesReceived !== offset;
      if (resume && response.bytesReceived <= offer.totalBytes) {
        offset = response.bytesReceived;
        continue;
      }
      // Success or refusal, the answer carries the follower's term: the core must see it.
      if (answered) {
        this.attached.step(installSnapshotResponseFromWire(response, peer, this.selfId, offer.snapshotIndex));
      }
      if (response.success)
        this.options.logger.info('snapshot installed on peer', { peer, index: metadata.index });
      return response.success ? 'finished' : 'failed';
    }
    return 'failed';
  }

  /** One InstallSnapshot stream from an offset, with backpressure; resolves with the answer. */
  private streamFrom(
    peer: NodeId,
    offer: SnapshotOffer,
    data: Uint8Array,
    fromOffset: number,
  ): Promise<{ response: InstallSnapshotResponse__Output; answered: boolean }> {
    const client = this.clients.get(peer)?.client;
    if (client === undefined) return Promise.reject(new Error(`${peer} is not a peer`));
    const chunkBytes = peerMessageLimits(this.options.config).snapshotChunkBytes;
    return new Promise((resolve, reject) => {
      let settled = false;
      const outcome: Outcome<InstallSnapshotResponse__Output> = { error: null, response: undefined };
      const call = client.InstallSnapshot(
        { deadline: Date.now() + this.timings.snapshotDeadlineMs },
        (error, response) => {
          settled = true;
          Object.assign(outcome, { error, response });
        },
      );
      call.on('status', (status: grpc.StatusObject) => {
        settled = true;
        this.streams.delete(call);
        const { error, response } = outcome;
        if (error !== null || response === undefined) reject(error ?? new Error(status.details));
        else resolve({ response, answered: !noAnswer(status.metadata) });
      });
      this.streams.add(call);
      // Writes after the follower answered early fail; the answer is what counts.
      call.on('error', () => {});
      const chunks = snapshotChunks(offer, data, fromOffset, chunkBytes);
      const pump = (): void => {
        while (!settled && !this.closed) {
          const next = chunks.next();
          if (next.done === true) {
            call.end();
            return;
          }
          if (!call.write(next.value)) {
            call.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  }
}
