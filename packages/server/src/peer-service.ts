// PeerService: the receiving side of replication. A request RPC becomes a core message addressed to
// this node; the handler steps it into the replica and waits for the core's answer, which the core
// emits in a later Ready after persisting what the answer depends on (see pending-responses.ts).
// The answer's term goes in the ResponseHeader. An RPC whose answer does not come in time is
// answered with a refusal at this node's current term, marked as no answer in the trailing metadata
// (NO_ANSWER_KEY) so that the sender does not step it: in pair mode silence counts as consent.
import * as grpc from '@grpc/grpc-js';
import type { InstallSnapshotMessage, Message, NodeId } from '@tandem/consensus';
import type {
  AppendEntriesRequest__Output,
  AppendEntriesResponse,
  AppendEntriesStreamRequest__Output,
  AppendEntriesStreamResponse,
  InstallSnapshotChunk__Output,
  InstallSnapshotResponse,
  MergeOfferRequest__Output,
  MergeOfferResponse,
  PeerServiceHandlers,
  RequestVoteRequest__Output,
  RequestVoteResponse,
  ResponseHeader,
  TimeoutNowRequest__Output,
  TimeoutNowResponse,
} from '@tandem/wire';
import { isUndecodable } from './auth.js';
import type { EdgeContext } from './edge.js';
import { responseHeader, toServiceError, unary } from './edge.js';
import { InvalidArgumentError, OperationalError } from './errors.js';
import { requireSender } from './identity.js';
import type { PeerContacts } from './peer-contact.js';
import {
  appendEntriesFromWire,
  appendEntriesResponseToWire,
  mergeOfferFromWire,
  mergeOfferResponseToWire,
  type PeerResponseMessage,
  type PeerResponseType,
  type PeerWireContext,
  requestVoteFromWire,
  requestVoteResponseToWire,
  timeoutNowFromWire,
  wireInteger,
} from './peer-messages.js';
import { NO_ANSWER_KEY, type PeerTimings } from './peer-transport.js';
import type { PendingResponses } from './pending-responses.js';
import { RefusalLog } from './refusal-log.js';
import type { Replica } from './replica.js';
import { type ChunkOutcome, SnapshotReceiver } from './snapshot-stream.js';

export interface PeerServiceOptions {
  context: EdgeContext;
  replica: Replica;
  responses: PendingResponses;
  contacts: PeerContacts;
  timings: PeerTimings;
  /** The cluster the messages are checked against (its voters, witness and ledger options). */
  wire: PeerWireContext;
  /** Where refused messages are logged, rate-limited (one of its own when absent). */
  refusals?: RefusalLog;
  receiver?: SnapshotReceiver;
  /** Witness mode: the witness, which answers but never sends PeerService requests. */
  witnessId?: NodeId | null;
}

export function peerService(options: PeerServiceOptions): PeerServiceHandlers {
  const { context, replica, responses, contacts, timings, wire } = options;
  const refusals = options.refusals ?? new RefusalLog({ logger: context.logger, clock: () => Date.now() });
  const receiver = options.receiver ?? new SnapshotReceiver(undefined, wire);
  const selfId = context.nodeId;

  /**
   * Logs a request refused with INVALID_ARGUMENT (at most one line a second per method and field)
   * and passes the error on to be mapped at the edge.
   */
  const refused = (method: string, sender: string, error: unknown): never => {
    if (error instanceof InvalidArgumentError) {
      refusals.note(`peer:${method}:${error.field}`, 'refused a peer message', {
        method,
        from: sender.slice(0, 64),
        error: error.message,
      });
    }
    throw error;
  };
  /** Runs a request's checks and conversion, logging what it refuses. */
  const checked = <T>(method: string, sender: string, convert: () => T): T => {
    try {
      return convert();
    } catch (error) {
      return refused(method, sender, error);
    }
  };

  const header = (term: number): ResponseHeader => ({ ...responseHeader(context), term });
  const currentTerm = () => replica.status().term;

  /** Only the configured peer may replicate to this node. */
  const requirePeer = (id: string, field: string, call: { getPeer(): string }): NodeId => {
    requireSender(call, id, field);
    if (id === '') throw new InvalidArgumentError(field, 'is required');
    if (!contacts.isPeer(id))
      throw new InvalidArgumentError(field, `"${id.slice(0, 64)}" is not a peer of this node`);
    if (id === options.witnessId)
      throw new InvalidArgumentError(field, `"${id}" is the witness, which never replicates`);
    return id;
  };

  /** Steps a request and waits for the core's answer to it; null when none came in time. */
  const exchange = (
    message: Message,
    type: PeerResponseType,
    waitMs: number,
  ): Promise<PeerResponseMessage | null> => {
    if (!replica.serving) throw new OperationalError('shutting_down', 'the node is shutting down', true);
    // A pre-vote carries the term the candidate would move to, not the one it is at.
    const seenTerm = message.type === 'request_vote' && message.preVote ? message.term - 1 : message.term;
    contacts.heardFrom(message.from, seenTerm);
    const waiting = responses.wait(message.from, type, waitMs);
    if (waiting === null) {
      throw new OperationalError('overloaded', `too many ${message.type} requests wait for an answer`, true);
    }
    replica.step(message);
    return waiting;
  };

  const installSnapshot = async (
    outcome: Extract<ChunkOutcome, { kind: 'complete' }>,
    firstOffset: number,
  ): Promise<{ response: InstallSnapshotResponse; answered: boolean }> => {
    const message: InstallSnapshotMessage = {
      type: 'install_snapshot',
      from: outcome.offer.leaderId,
      to: selfId,
      term: outcome.offer.term,
      snapshot: outcome.snapshot,
    };
    // The core restores a snapshot only beyond its commit index (replication.ts), which never moves
    // back; one at or below it is answered from the metadata alone. A leader that did not hear the
    // answer to its last send (this node busy applying what followed the install) sends the same
    // snapshot again: decoding and restoring each copy cost a second of CPU and hundreds of MB here
    // for a ledger that would be thrown away.
    const commitIndex = replica.status().commitIndex;
    const held = outcome.offer.snapshotIndex <= commitIndex;
    if (!held) {
      checked('InstallSnapshot', message.from, () =>
        replica.prepareSnapshot(outcome.snapshot.data, outcome.offer.snapshotIndex),
      );
    }
    context.logger.info(
      held
        ? 'offered a snapshot this node already holds; answered without restoring it'
        : 'received snapshot',
      {
        from: message.from,
        index: outcome.offer.snapshotIndex,
        bytes: outcome.offer.totalBytes,
        ...(held ? { commitIndex } : {}),
      },
    );
    const answer = await exchange(message, 'install_snapshot_response', timings.snapshotResponseWaitMs);
    if (answer === null || answer.type !== 'install_snapshot_response') {
      const response = { header: header(currentTerm()), success: false, bytesReceived: firstOffset };
      return { response, answered: false };
    }
    const response = {
      header: header(answer.term),
      success: answer.success,
      bytesReceived: answer.success ? outcome.offer.totalBytes : firstOffset,
    };
    return { response, answered: true };
  };

  /**
   * Steps one append and waits for the core's answer. Everything up to the step runs before the
   * first await, so that appends are stepped in the order they arrived.
   */
  const appendEntries = async (
    request: AppendEntriesRequest__Output,
    call: { getPeer(): string },
  ): Promise<{ response: AppendEntriesResponse; answered: boolean }> => {
    const message = checked('AppendEntries', request.leaderId, () => {
      requirePeer(request.leaderId, 'leader_id', call);
      return appendEntriesFromWire(request, selfId, wire);
    });
    const waitMs = message.entries.length > 0 ? timings.entriesResponseWaitMs : timings.responseWaitMs;
    const answer = await exchange(message, 'append_entries_response', waitMs);
    if (answer === null || answer.type !== 'append_entries_response') {
      const response: AppendEntriesResponse = {
        header: header(currentTerm()),
        success: false,
        matchIndex: 0,
        conflictIndex: 0,
        conflictTerm: 0,
      };
      return { response, answered: false };
    }
    return {
      response: { header: header(answer.term), ...appendEntriesResponseToWire(answer) },
      answered: true,
    };
  };

  return {
    AppendEntries: peerUnary(context, appendEntries),
    AppendEntriesStream: (
      call: grpc.ServerDuplexStream<AppendEntriesStreamRequest__Output, AppendEntriesStreamResponse>,
    ) => {
      // A bad request ends the whole stream with its status: the leader opens a new one and probes.
      let over = false;
      let unanswered = 0;
      let leaderDone = false;
      const fail = (error: unknown) => {
        if (over) return;
        over = true;
        call.emit('error', toServiceError(error, context));
      };
      const finishIfDone = () => {
        if (!over && leaderDone && unanswered === 0) {
          over = true;
          call.end();
        }
      };
      call.on('data', (item: AppendEntriesStreamRequest__Output) => {
        if (over) return;
        if (isUndecodable(item)) {
          fail(new InvalidArgumentError('request', 'a stream item is not a valid protobuf message'));
          return;
        }
        const sequence = item.sequence;
        if (item.request === null) {
          fail(new InvalidArgumentError('request', 'is required'));
          return;
        }
        unanswered += 1;
        appendEntries(item.request, call).then(
          ({ response, answered }) => {
            unanswered -= 1;
            if (over || call.cancelled) return;
            call.write({ sequence, response, noAnswer: !answered });
            finishIfDone();
          },
          (error: unknown) => {
            unanswered -= 1;
            fail(error);
          },
        );
      });
      call.on('end', () => {
        leaderDone = true;
        finishIfDone();
      });
      // A broken or cancelled stream: answers still to come have nowhere to go.
      call.on('error', () => {
        over = true;
      });
    },
    RequestVote: peerUnary(context, async (request: RequestVoteRequest__Output, call) => {
      const message = checked('RequestVote', request.candidateId, () => {
        requirePeer(request.candidateId, 'candidate_id', call);
        return requestVoteFromWire(request, selfId);
      });
      const answer = await exchange(message, 'request_vote_response', timings.responseWaitMs);
      if (answer === null || answer.type !== 'request_vote_response') {
        const response: RequestVoteResponse = {
          header: header(currentTerm()),
          voteGranted: false,
          preVote: request.preVote,
        };
        return { response, answered: false };
      }
      return {
        response: { header: header(answer.term), ...requestVoteResponseToWire(answer) },
        answered: true,
      };
    }),
    MergeOffer: peerUnary(context, async (request: MergeOfferRequest__Output, call) => {
      const message = checked('MergeOffer', request.backupId, () => {
        requirePeer(request.backupId, 'backup_id', call);
        return mergeOfferFromWire(request, selfId, wire);
      });
      const answer = await exchange(message, 'merge_offer_response', timings.responseWaitMs);
      if (answer === null || answer.type !== 'merge_offer_response') {
        const response: MergeOfferResponse = {
          header: header(currentTerm()),
          stretchStartIndex: message.stretchStartIndex,
          mergedThroughIndex: 0,
        };
        return { response, answered: false };
      }
      return {
        response: { header: header(answer.term), ...mergeOfferResponseToWire(answer) },
        answered: true,
      };
    }),
    TimeoutNow: unary(context, (request: TimeoutNowRequest__Output, call): TimeoutNowResponse => {
      const message = checked('TimeoutNow', request.leaderId, () => {
        requirePeer(request.leaderId, 'leader_id', call);
        return timeoutNowFromWire(request, selfId);
      });
      if (!replica.serving) throw new OperationalError('shutting_down', 'the node is shutting down', true);
      contacts.heardFrom(message.from, message.term);
      // The core has no answer to timeout_now: it campaigns, and the vote requests say the rest.
      replica.step(message);
      return { header: header(currentTerm()) };
    }),
    InstallSnapshot: (
      call: grpc.ServerReadableStream<InstallSnapshotChunk__Output, InstallSnapshotResponse>,
      callback: grpc.sendUnaryData<InstallSnapshotResponse>,
    ) => {
      const stream = receiver.openStream();
      let firstOffset: number | null = null;
      // No chunk is taken after an answer is decided; the first answer is the only one sent.
      let decided = false;
      let answered = false;
      const answer = (error: unknown, response?: InstallSnapshotResponse, coreAnswered = true) => {
        decided = true;
        if (answered) return;
        answered = true;
        if (error !== null) callback(toServiceError(error, context));
        else callback(null, response, coreAnswered ? undefined : noAnswerTrailer());
      };
      call.on('data', (chunk: InstallSnapshotChunk__Output) => {
        if (decided) return;
        try {
          if (isUndecodable(chunk))
            throw new InvalidArgumentError('chunk', 'is not a valid protobuf message');
          const first = firstOffset === null;
          if (first) {
            requirePeer(chunk.leaderId, 'leader_id', call);
            firstOffset = wireInteger(chunk.offset, 'offset');
            const term = currentTerm();
            if (Number.isSafeInteger(chunk.term) && chunk.term < term) {
              // A deposed leader: refuse before buffering anything; the answer's term tells it.
              answer(null, { header: header(term), success: false, bytesReceived: firstOffset });
              return;
            }
            // A snapshot this node already holds (its leader missed the answer to the last send):
            // answered from the first chunk, so the rest is never sent (installSnapshot, below).
            const held =
              Number(chunk.snapshotIndex) <= replica.status().commitIndex ? receiver.offered(chunk) : null;
            if (held !== null) {
              contacts.heardFrom(chunk.leaderId, chunk.term);
              decided = true;
              installSnapshot({ kind: 'complete', ...held }, firstOffset).then(
                ({ response, answered: coreAnswered }) => answer(null, response, coreAnswered),
                (error: unknown) => answer(error),
              );
              return;
            }
          }
          const outcome = receiver.receive(stream, chunk, first);
          // The chunk's term is checked now.
          if (first) contacts.heardFrom(chunk.leaderId, chunk.term);
          if (outcome.kind === 'continue') return;
          if (outcome.kind === 'resume') {
            answer(null, {
              header: header(currentTerm()),
              success: false,
              bytesReceived: outcome.bytesReceived,
            });
            return;
          }
          decided = true;
          const offset = firstOffset ?? 0;
          installSnapshot(outcome, offset).then(
            ({ response, answered: coreAnswered }) => answer(null, response, coreAnswered),
            (error: unknown) => answer(error),
          );
        } catch (error) {
          try {
            refused('InstallSnapshot', chunk.leaderId, error);
          } catch {
            // Logged; the answer below carries the error.
          }
          answer(error);
        }
      });
      call.on('end', () => {
        if (decided) return;
        // The leader stopped without finishing: say how far this node got, so that it resumes.
        answer(null, {
          header: header(currentTerm()),
          success: false,
          bytesReceived: receiver.bytesReceived(),
        });
      });
      call.on('error', () => {
        // A broken stream: the partial snapshot stays for the leader's next attempt.
        decided = true;
        answered = true;
      });
    },
  };
}

function noAnswerTrailer(): grpc.Metadata {
  const trailer = new grpc.Metadata();
  trailer.set(NO_ANSWER_KEY, 'true');
  return trailer;
}

/**
 * A unary peer handler: like the edge's unary(), and a reply that stands for no answer from the
 * core is marked in the trailing metadata, so that the sender does not take it for a refusal.
 */
function peerUnary<Request, Response>(
  context: EdgeContext,
  handler: (
    request: Request,
    call: grpc.ServerUnaryCall<Request, Response>,
  ) => Promise<{ response: Response; answered: boolean }>,
): grpc.handleUnaryCall<Request, Response> {
  return (call, callback) => {
    let pending: Promise<{ response: Response; answered: boolean }>;
    try {
      pending = handler(call.request, call);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      ({ response, answered }) => callback(null, response, answered ? undefined : noAnswerTrailer()),
      (error: unknown) => callback(toServiceError(error, context)),
    );
  };
}

/** A node in single mode has no peers: every PeerService call is refused. */
export function singleModePeerService(context: EdgeContext): PeerServiceHandlers {
  const noPeers = () => {
    throw new OperationalError('not_implemented', 'this node runs in single mode and has no peers', false);
  };
  return {
    AppendEntries: unary(context, noPeers),
    AppendEntriesStream: (call) => {
      call.on('data', () => {});
      call.emit('error', {
        code: grpc.status.UNIMPLEMENTED,
        details: 'this node runs in single mode and has no peers',
      });
    },
    RequestVote: unary(context, noPeers),
    TimeoutNow: unary(context, noPeers),
    MergeOffer: unary(context, noPeers),
    InstallSnapshot: (call, callback) => {
      call.on('data', () => {});
      callback({
        code: grpc.status.UNIMPLEMENTED,
        details: 'this node runs in single mode and has no peers',
      });
    },
  };
}
