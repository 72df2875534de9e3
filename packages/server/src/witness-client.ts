// A data node's channel to the witness (WitnessService): the core's vote requests, heartbeats (an
// append_entries without entries) and in-sync records each become one RPC, and the answer is
// stepped back into the core. As with the peer transport, failures are normal: the core repeats
// what it needs, so a failed RPC only counts as the witness being unreachable.
import type * as grpc from '@grpc/grpc-js';
import type { Message, NodeId } from '@tandem/consensus';
import type {
  RecordInSyncResponse__Output,
  RequestVoteResponse__Output,
  ResponseHeader__Output,
  WitnessHeartbeatResponse__Output,
  WitnessServiceClient,
} from '@tandem/wire';
import { loadTandemProto } from '@tandem/wire';
import type { TandemConfig } from './config.js';
import type { Logger } from './logger.js';
import {
  MemberClient,
  memberProbeTimings,
  peerChannelOptions,
  peerConnectTimeoutMs,
} from './peer-channel.js';
import type { PeerContacts } from './peer-contact.js';
import { requestVoteResponseFromWire, requestVoteToWire } from './peer-messages.js';
import {
  heartbeatResponseFromWire,
  heartbeatToWire,
  recordResponseFromWire,
  recordToWire,
} from './witness-messages.js';

/** RPCs in flight to the witness beyond this are dropped (the core repeats what it needs). */
export const MAX_INFLIGHT_WITNESS_RPCS = 64;

export interface WitnessClientOptions {
  config: TandemConfig;
  logger: Logger;
  contacts: PeerContacts;
  witnessId: NodeId;
  address: string;
  /** mTLS: this node's certificate, and the witness's must name the witness. */
  credentials: grpc.ChannelCredentials;
  /** The deadline of one RPC. */
  rpcDeadlineMs: number;
  /** The replica's clock, to stamp when each request left. */
  clock: () => number;
  /** Steps an answer into the core, with when its request left (see PeerSink.step). */
  step: (message: Message, requestSentAtMs: number) => void;
}

export class WitnessClient {
  private readonly member: MemberClient<WitnessServiceClient>;
  private inflight = 0;
  private failing = false;
  private closed = false;
  private droppedCount = 0;

  constructor(private readonly options: WitnessClientOptions) {
    const proto = loadTandemProto();
    // Found again within a failover timeout after it returns, a stalled connection replaced, a
    // stalled connection attempt abandoned for a new one, and the link probed while the witness
    // does not answer, so that a healed link is used within a heartbeat and a round trip.
    this.member = new MemberClient({
      open: () =>
        new proto.tandem.v1.WitnessService(
          options.address,
          options.credentials,
          peerChannelOptions(options.config),
        ),
      connectTimeoutMs: peerConnectTimeoutMs(options.config),
      probe: { address: options.address, ...memberProbeTimings(options.config) },
      replaced: (reason, byProbe) =>
        options.logger.log(byProbe ? 'info' : 'debug', 'replaced the channel to the witness', { reason }),
    });
  }

  /** Messages dropped because too many RPCs were in flight. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Sends one request-type message of the core to the witness; anything else is a bug. */
  send(message: Message): void {
    if (this.closed) return;
    if (this.inflight >= MAX_INFLIGHT_WITNESS_RPCS) {
      this.droppedCount += 1;
      return;
    }
    const { witnessId } = this.options;
    const selfId = this.options.config.node.id;
    const options: grpc.CallOptions = { deadline: Date.now() + this.options.rpcDeadlineMs };
    const sentAtMs = this.options.clock();
    this.inflight += 1;
    const done = <Response extends { header: ResponseHeader__Output | null }>(
      error: grpc.ServiceError | null,
      response: Response | undefined,
      convert: (response: Response) => Message,
    ) => {
      this.inflight -= 1;
      if (this.closed) return;
      if (error !== null || response === undefined) {
        this.unreachable(error?.details ?? 'no answer');
        return;
      }
      this.answered(response, convert, sentAtMs);
    };
    switch (message.type) {
      case 'request_vote':
        this.member.client.RequestVote(requestVoteToWire(message), options, (error, response) =>
          done<RequestVoteResponse__Output>(error, response, (answer) =>
            requestVoteResponseFromWire(answer, witnessId, selfId),
          ),
        );
        break;
      case 'append_entries':
        this.member.client.Heartbeat(heartbeatToWire(message), options, (error, response) =>
          done<WitnessHeartbeatResponse__Output>(error, response, (answer) =>
            heartbeatResponseFromWire(answer, witnessId, selfId),
          ),
        );
        break;
      case 'witness_record':
        this.member.client.RecordInSync(recordToWire(message), options, (error, response) =>
          done<RecordInSyncResponse__Output>(error, response, (answer) =>
            recordResponseFromWire(answer, witnessId, selfId, message.configurationIndex),
          ),
        );
        break;
      default:
        this.inflight -= 1;
        this.options.logger.error('the core sent the witness a message it does not take', {
          type: message.type,
        });
    }
  }

  close(): void {
    this.closed = true;
    this.member.close();
  }

  private answered<Response extends { header: ResponseHeader__Output | null }>(
    response: Response,
    convert: (response: Response) => Message,
    requestSentAtMs: number,
  ): void {
    const { witnessId, contacts, logger } = this.options;
    // Any answer shows that the link and the channel work (a new channel would reach the same node).
    this.member.answered();
    const header = response.header;
    if (header === null || header.nodeId !== witnessId) {
      // The configured address leads to another node: nothing it says may reach the core.
      this.unreachable(`the node at ${witnessId}'s address is "${header?.nodeId ?? '?'}"`);
      return;
    }
    contacts.heardFrom(witnessId, header.term);
    if (this.failing) {
      this.failing = false;
      logger.info('witness reachable again', { witness: witnessId });
    }
    let message: Message;
    try {
      message = convert(response);
    } catch (error) {
      logger.warn('malformed answer from the witness', { error: (error as Error).message });
      return;
    }
    this.options.step(message, requestSentAtMs);
  }

  private unreachable(reason: string): void {
    this.options.contacts.failedToReach(this.options.witnessId);
    this.member.unreachable();
    if (!this.failing) {
      this.failing = true;
      this.options.logger.warn('witness unreachable', { witness: this.options.witnessId, reason });
    }
  }
}
