// Which request an answer answers, as gRPC tells the server: the driver counts a leader's contact
// with a member from when its request left, not from when the answer was read (Driver.step's
// requestSentAtMs, the read lease). The simulated network carries each request's send time; the
// receiving node keeps them here per peer and answer type, oldest first, and its next answer of
// that type to that peer takes the oldest, as the server's PendingResponses hands the core's answer
// to the oldest waiting RPC. A request the core never answers (refused without an answer) is
// forgotten after maxWaitMs, as the server's RPC gives up; until then a later answer takes its
// time, which is older than the right one and so never makes a lease longer than it is.
import assert from 'node:assert/strict';
import type { Message } from '@tandem/consensus';

const ANSWER_TYPE: Partial<Record<Message['type'], Message['type']>> = {
  append_entries: 'append_entries_response',
  request_vote: 'request_vote_response',
  install_snapshot: 'install_snapshot_response',
  merge_offer: 'merge_offer_response',
  witness_record: 'witness_record_response',
};

const ANSWER_TYPES = new Set(Object.values(ANSWER_TYPE));

/** Whether a message answers a request (and so is matched to one). */
export function isAnswer(message: Message): boolean {
  return ANSWER_TYPES.has(message.type);
}

interface Waiting {
  requestSentAtMs: number;
  receivedAtMs: number;
}

export class PendingAnswers {
  private readonly queues = new Map<string, Waiting[]>();

  /**
   * maxPerKey bounds the requests of one kind from one peer that wait (more are not matched, as
   * the server refuses more waiting RPCs); maxWaitMs is how long one waits for its answer.
   */
  constructor(
    private readonly maxPerKey: number,
    private readonly maxWaitMs: number,
  ) {
    assert.ok(maxPerKey >= 1 && maxWaitMs > 0, 'bounds must be positive');
  }

  /** A request arrived that left its sender at requestSentAtMs (by the sender's clock). */
  received(request: Message, requestSentAtMs: number, nowMs: number): void {
    const answerType = ANSWER_TYPE[request.type];
    if (answerType === undefined) return;
    const key = `${request.from}>${answerType}`;
    const queue = this.queues.get(key) ?? [];
    this.expire(queue, nowMs);
    if (queue.length >= this.maxPerKey) return;
    queue.push({ requestSentAtMs, receivedAtMs: nowMs });
    this.queues.set(key, queue);
  }

  /** The send time of the request this answer answers, or undefined when none waits. */
  answering(answer: Message, nowMs: number): number | undefined {
    const key = `${answer.to}>${answer.type}`;
    const queue = this.queues.get(key);
    if (queue === undefined) return undefined;
    this.expire(queue, nowMs);
    const waiting = queue.shift();
    if (queue.length === 0) this.queues.delete(key);
    return waiting?.requestSentAtMs;
  }

  private expire(queue: Waiting[], nowMs: number): void {
    while (queue.length > 0 && nowMs - (queue[0] as Waiting).receivedAtMs > this.maxWaitMs) queue.shift();
  }
}
