// The leader's ordered AppendEntries to one follower: one PeerService.AppendEntriesStream call that
// carries every append, so that the follower receives them in the order the core emitted them.
// Unary calls could not promise that: HTTP/2 interleaves the frames of concurrent requests, a small
// append overtook a large one, and the follower refused each append that left a gap, which sent the
// leader back to probing one round trip at a time (the hand-back under load took 30 to 60 s).
//
// Contract: every request sent is answered once, through `answered`, or accounted for by one call
// of `failed` that covers all outstanding requests. A stream that makes no progress breaks: when its
// oldest request has waited past its deadline and no answer at all came for as long, the answers
// after it would wait behind it anyway. A stream that goes on answering, however far behind, is not
// broken: its requests wait in order behind the appends before them (a restarted main replaying its
// log, sent thousands of entries to catch up, answers them late), and breaking it threw away every
// append in flight, which the follower then refused as a gap. The next send opens a new stream.
import type * as grpc from '@grpc/grpc-js';
import type {
  AppendEntriesRequest,
  AppendEntriesResponse__Output,
  AppendEntriesStreamRequest,
  AppendEntriesStreamResponse__Output,
} from '@tandem/wire';

type Call = grpc.ClientDuplexStream<AppendEntriesStreamRequest, AppendEntriesStreamResponse__Output>;

export interface AppendStreamOptions {
  /** Opens a new AppendEntriesStream call to the follower (no deadline: it lives until it breaks). */
  open: () => Call;
  /** The replica's clock, to stamp when each request left (see PeerSink.step). */
  clock: () => number;
  /** Requests outstanding beyond this are refused by send (the core retransmits). */
  maxOutstanding: number;
  /**
   * An append without entries (a heartbeat, a loss probe) is refused once this many are outstanding
   * (at most maxOutstanding). It would tell the follower nothing the appends before it will not, and
   * its answer would come after theirs; counted like the others, the heartbeats of a follower that
   * answers slowly (a restarted main replaying its log) filled the window, and the next append with
   * entries was the one refused, leaving a gap that the follower refused append after append.
   */
  maxOutstandingEmpty: number;
  /**
   * How long the oldest request may wait for its answer, with no answer to any request meanwhile,
   * before the stream is broken.
   */
  deadlineMs: number;
  /** How often the oldest outstanding request is checked against its deadline. */
  deadlineCheckIntervalMs: number;
  /** The follower's answer; answeredByCore is false when its core did not answer in time. */
  answered: (
    response: AppendEntriesResponse__Output,
    answeredByCore: boolean,
    requestSentAtMs: number,
  ) => void;
  /** The stream broke with `outstanding` requests unanswered (which will never be answered). */
  failed: (reason: string, outstanding: number) => void;
}

interface Outstanding {
  sentAtMs: number;
  /** By the wall clock, like gRPC deadlines; increasing along `outstanding`, like the sequence. */
  deadlineAtMs: number;
}

export class AppendStream {
  private call: Call | null = null;
  /** Increasing along a stream; answers name the request they answer. */
  private nextSequence = 1;
  /** Requests written to the current call and not answered yet, by sequence. */
  private readonly outstanding = new Map<number, Outstanding>();
  private deadlineTimer: NodeJS.Timeout | null = null;
  /** When the current call was opened or last answered, by the wall clock (like deadlineAtMs). */
  private progressAtMs = 0;
  private closed = false;

  constructor(private readonly options: AppendStreamOptions) {
    const { maxOutstanding, maxOutstandingEmpty } = options;
    if (
      !Number.isSafeInteger(maxOutstandingEmpty) ||
      maxOutstandingEmpty < 1 ||
      maxOutstandingEmpty > maxOutstanding
    )
      throw new Error(
        `maxOutstandingEmpty ${maxOutstandingEmpty} must be 1..maxOutstanding (${maxOutstanding})`,
      );
  }

  get outstandingCount(): number {
    return this.outstanding.size;
  }

  /**
   * Writes one append; false (nothing sent) when the window is full for its kind (see
   * maxOutstandingEmpty) or the stream is closed.
   */
  send(request: AppendEntriesRequest): boolean {
    const empty = (request.entries?.length ?? 0) === 0;
    const limit = empty ? this.options.maxOutstandingEmpty : this.options.maxOutstanding;
    if (this.closed || this.outstanding.size >= limit) return false;
    const call = this.call ?? this.openCall();
    const sequence = this.nextSequence;
    this.nextSequence += 1;
    this.outstanding.set(sequence, {
      sentAtMs: this.options.clock(),
      deadlineAtMs: Date.now() + this.options.deadlineMs,
    });
    // Backpressure is the window above: at most maxOutstanding requests are ever buffered.
    call.write({ sequence, request });
    this.armDeadlineTimer();
    return true;
  }

  /**
   * Abandons the current call, if any, reporting what it held through `failed`; the next send
   * opens a new one (on the channel `open` then gives).
   */
  restart(reason: string): void {
    if (this.call !== null) this.break(this.call, reason);
  }

  /** Cancels the stream; nothing is reported afterwards. */
  close(): void {
    this.closed = true;
    this.outstanding.clear();
    this.disarmDeadlineTimer();
    const call = this.call;
    this.call = null;
    call?.cancel();
  }

  private openCall(): Call {
    const call = this.options.open();
    this.call = call;
    this.progressAtMs = Date.now();
    call.on('data', (answer: AppendEntriesStreamResponse__Output) => {
      if (this.call !== call) return;
      this.progressAtMs = Date.now();
      const request = this.outstanding.get(answer.sequence);
      if (request === undefined) {
        this.break(call, `the follower answered request ${answer.sequence}, which is not outstanding`);
        return;
      }
      this.outstanding.delete(answer.sequence);
      if (this.outstanding.size === 0) this.disarmDeadlineTimer();
      if (answer.response === null) {
        this.break(call, `the follower's answer to request ${answer.sequence} is empty`);
        return;
      }
      this.options.answered(answer.response, !answer.noAnswer, request.sentAtMs);
    });
    // 'error' comes with every status but OK; 'end' after an OK one. Either way the stream is over.
    call.on('error', (error: grpc.ServiceError) => this.ended(call, error.details || error.message));
    call.on('end', () => this.ended(call, 'the follower ended the append stream'));
    return call;
  }

  private ended(call: Call, reason: string): void {
    if (this.call !== call) return;
    this.call = null;
    this.failOutstanding(reason);
  }

  /** Abandons a call whose answers can no longer be trusted to come, and reports what it held. */
  private break(call: Call, reason: string): void {
    if (this.call !== call) return;
    this.call = null;
    call.cancel();
    this.failOutstanding(reason);
  }

  private failOutstanding(reason: string): void {
    const count = this.outstanding.size;
    this.outstanding.clear();
    this.disarmDeadlineTimer();
    if (!this.closed) this.options.failed(reason, count);
  }

  private armDeadlineTimer(): void {
    if (this.deadlineTimer !== null) return;
    this.deadlineTimer = setInterval(() => this.checkDeadlines(), this.options.deadlineCheckIntervalMs);
    this.deadlineTimer.unref();
  }

  private disarmDeadlineTimer(): void {
    if (this.deadlineTimer === null) return;
    clearInterval(this.deadlineTimer);
    this.deadlineTimer = null;
  }

  /**
   * Every request gets the same deadline, so the oldest outstanding one is the first due; it is
   * overdue only once the stream has also answered nothing for as long (see the contract above).
   */
  private checkDeadlines(): void {
    const call = this.call;
    const oldest = this.outstanding.entries().next();
    if (call === null || oldest.done === true) return;
    const [sequence, request] = oldest.value;
    const nowMs = Date.now();
    if (request.deadlineAtMs <= nowMs && this.progressAtMs + this.options.deadlineMs <= nowMs) {
      this.break(
        call,
        `append ${sequence} got no answer before its deadline (${this.outstanding.size} outstanding, no answer for ${nowMs - this.progressAtMs} ms)`,
      );
    }
  }
}
