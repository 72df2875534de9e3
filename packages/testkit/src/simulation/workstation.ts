// A simulated workstation: it acquires, renews and releases leases and reports usage, one
// operation at a time, routed the way the client library (packages/client, cluster-connection.ts)
// routes it. Each operation has one request id for all its attempts. It starts at main unless main
// failed an attempt lately (then at the leader it last heard from, or the next server); a refusal
// that names another node is followed at once (once per node and operation); timeouts, refusals
// without such a hint and answers from a term older than one it has seen count as a failed attempt
// and move to the next server after a back-off that doubles per failure. Only the answer to the
// attempt in flight counts. Every invocation and acknowledgement goes into the history. Now and
// then it re-sends a request that was already acknowledged: the answer must be the same.
import assert from 'node:assert/strict';
import { canonicalJson, type Result } from '@tandem/ledger';
import type { SimulationChecker } from './checker.js';
import type { History, OperationRecord } from './history.js';
import type { ClientCommand, ClientReply, ClientRequest } from './messages.js';
import type { SimulationRandom } from './random.js';

export interface WorkstationOptions {
  id: string;
  /** Every data node, main first (the settings file). */
  servers: string[];
  licenceIds: string[];
  /** Commands to run first, in order (the operator's licence activations). */
  script: ClientCommand[];
  /** Whether to make up operations once the script is done. */
  randomOperations: boolean;
  /** An attempt without an answer for this long is retried. */
  requestTimeoutMs: number;
  retryBackoffMs: number;
  maxRetryBackoffMs: number;
  thinkMinMs: number;
  thinkMaxMs: number;
  ttlMinMs: number;
  ttlMaxMs: number;
  maxUnits: number;
  /** After an attempt at main failed, operations start elsewhere for this long. */
  mainRetryAfterMs: number;
  /** Of the made-up operations, this share re-sends an acknowledged request. */
  resendProbability: number;
}

export interface WorkstationEnvironment {
  nowMs(): number;
  send(to: string, request: ClientRequest): void;
  history: History;
  checker: SimulationChecker;
}

export interface WorkstationStatistics {
  attempts: number;
  timeouts: number;
  redirects: number;
  /** Answers refused because their term was older than one already seen. */
  staleTermAnswers: number;
  /** Answers to a request that was already acknowledged or abandoned (late or duplicated). */
  lateAnswers: number;
  resends: number;
}

interface CurrentOperation {
  record: OperationRecord;
  target: string;
  /** When the attempt in flight times out; null while waiting to send the next attempt. */
  attemptDeadlineMs: number | null;
  nextAttemptAtMs: number;
  /** Failed attempts that were not followed hints, for the back-off. */
  failures: number;
  /** Nodes a refusal pointed to during this operation: each is followed at once only once. */
  hinted: Set<string>;
}

const MAX_REMEMBERED_ACKNOWLEDGEMENTS = 32;

export class SimulatedWorkstation {
  readonly id: string;
  private current: CurrentOperation | null = null;
  /** The node whose answer was last accepted (only leaders answer with results). */
  private knownLeader: string | null = null;
  private highestTermSeen = 0;
  private mainFailedAtMs = Number.NEGATIVE_INFINITY;
  /** licence id → lease id this workstation believes it holds. */
  private readonly leases = new Map<string, string>();
  private readonly script: ClientCommand[];
  private nextOperationAtMs = 0;
  private requestCounter = 0;
  private drainStarted = false;
  /** Recent acknowledged operations of this workstation, for re-sends. */
  private readonly acknowledged: OperationRecord[] = [];
  readonly statistics: WorkstationStatistics = {
    attempts: 0,
    timeouts: 0,
    redirects: 0,
    staleTermAnswers: 0,
    lateAnswers: 0,
    resends: 0,
  };

  constructor(
    private readonly options: WorkstationOptions,
    private readonly random: SimulationRandom,
    private readonly environment: WorkstationEnvironment,
    startAtMs: number,
  ) {
    assert.ok(options.servers.length > 0, 'a workstation needs at least one server');
    this.id = options.id;
    this.script = [...options.script];
    this.nextOperationAtMs = startAtMs;
  }

  /** No operation under way. */
  get isIdle(): boolean {
    return this.current === null;
  }

  /** Called every tick: times out attempts, sends due retries, starts new operations. */
  tick(allowNewOperations: boolean): void {
    const now = this.environment.nowMs();
    const current = this.current;
    if (current !== null) {
      if (current.attemptDeadlineMs !== null && now >= current.attemptDeadlineMs) {
        this.statistics.timeouts += 1;
        this.attemptFailed(current, null);
      }
      if (current.attemptDeadlineMs === null && now >= current.nextAttemptAtMs) this.sendAttempt(current);
      return;
    }
    if (!allowNewOperations || now < this.nextOperationAtMs) return;
    const scripted = this.script.shift();
    if (scripted !== undefined) {
      this.begin(scripted, null);
    } else if (this.options.randomOperations) {
      this.beginRandomOperation();
    }
  }

  receive(reply: ClientReply): void {
    const current = this.current;
    if (
      current === null ||
      current.record.requestId !== reply.requestId ||
      reply.attempt !== current.record.attempts ||
      current.attemptDeadlineMs === null
    ) {
      // An answer to an attempt the workstation already gave up on, as a closed call's would be.
      this.statistics.lateAnswers += 1;
      return;
    }
    if (reply.term < this.highestTermSeen) {
      // Maybe a deposed leader: a failed attempt, like any other.
      this.statistics.staleTermAnswers += 1;
      this.attemptFailed(current, null);
      return;
    }
    this.highestTermSeen = reply.term;
    const body = reply.body;
    if (body.kind === 'result') {
      this.knownLeader = reply.nodeId;
      this.complete(current, reply, body.result, body.index);
      return;
    }
    this.attemptFailed(current, body.leaderId);
  }

  /**
   * The attempt in flight failed (timeout, refusal, stale answer). A failure at main sends the next
   * operations elsewhere for a while; a hint to another node not yet tried for this operation is
   * followed at once; anything else tries the next server after a back-off.
   */
  private attemptFailed(current: CurrentOperation, hint: string | null): void {
    const failedAt = current.target;
    if (failedAt === this.mainServer) this.mainFailedAtMs = this.environment.nowMs();
    if (hint !== null && hint !== failedAt && !current.hinted.has(hint)) {
      current.hinted.add(hint);
      this.statistics.redirects += 1;
      current.target = hint;
      current.attemptDeadlineMs = null;
      current.nextAttemptAtMs = this.environment.nowMs();
      this.sendAttempt(current);
      return;
    }
    this.retryLater(current, this.serverAfter(failedAt));
  }

  // -----------------------------------------------------------------------------------------------

  private get mainServer(): string {
    return this.options.servers[0] as string;
  }

  private serverAfter(server: string): string {
    const servers = this.options.servers;
    const position = servers.indexOf(server);
    return servers[(position + 1) % servers.length] as string;
  }

  /** Main unless it failed an attempt lately; then the leader that last answered, or the next server. */
  private firstTarget(): string {
    if (this.environment.nowMs() - this.mainFailedAtMs >= this.options.mainRetryAfterMs)
      return this.mainServer;
    return this.knownLeader ?? this.serverAfter(this.mainServer);
  }

  private nextRequestId(): string {
    this.requestCounter += 1;
    return `${this.id}-r${this.requestCounter}`;
  }

  private begin(command: ClientCommand, duplicateOf: OperationRecord | null): void {
    const now = this.environment.nowMs();
    const record = this.environment.history.invoke(
      this.id,
      command.requestId,
      command,
      now,
      duplicateOf?.sequence ?? null,
    );
    this.current = {
      record,
      target: this.firstTarget(),
      attemptDeadlineMs: null,
      nextAttemptAtMs: now,
      failures: 0,
      hinted: new Set(),
    };
    this.sendAttempt(this.current);
  }

  private sendAttempt(current: CurrentOperation): void {
    const now = this.environment.nowMs();
    current.record.attempts += 1;
    this.statistics.attempts += 1;
    current.attemptDeadlineMs = now + this.options.requestTimeoutMs;
    this.environment.send(current.target, {
      workstationId: this.id,
      requestId: current.record.requestId,
      attempt: current.record.attempts,
      command: current.record.command,
    });
  }

  private retryLater(current: CurrentOperation, target: string): void {
    current.failures += 1;
    const backoffMs = Math.min(
      this.options.maxRetryBackoffMs,
      this.options.retryBackoffMs * 2 ** Math.min(current.failures - 1, 16),
    );
    current.target = target;
    current.attemptDeadlineMs = null;
    current.nextAttemptAtMs =
      this.environment.nowMs() + this.random.int(Math.floor(backoffMs / 2), backoffMs);
  }

  private complete(current: CurrentOperation, reply: ClientReply, result: Result, index: number): void {
    const now = this.environment.nowMs();
    const record = current.record;
    this.environment.history.complete(record, {
      atMs: now,
      result,
      index,
      term: reply.term,
      nodeId: reply.nodeId,
      duringDrain: this.drainStarted,
    });
    this.current = null;
    this.nextOperationAtMs = now + this.random.int(this.options.thinkMinMs, this.options.thinkMaxMs);
    if (record.duplicateOf !== null) {
      // Judged at the end: after a split brain a merge may explain the difference.
      const first = this.environment.history.record(record.duplicateOf).completion;
      if (first !== null && canonicalJson(first.result) !== canonicalJson(result)) {
        this.environment.checker.observeDuplicateAnswer(record, first.result, result, now);
      }
      return;
    }
    this.learn(record.command, result);
    this.acknowledged.push(record);
    if (this.acknowledged.length > MAX_REMEMBERED_ACKNOWLEDGEMENTS) this.acknowledged.shift();
  }

  /** Keeps the workstation's idea of its leases in line with what the cluster answered. */
  private learn(command: ClientCommand, result: Result): void {
    switch (command.type) {
      case 'acquire_lease':
        if (result.ok && result.outcome.kind === 'lease') {
          this.leases.set(command.licenceId, result.outcome.lease.leaseId);
        }
        break;
      case 'renew_lease':
        if (!result.ok) this.forgetLease(command.leaseId);
        break;
      case 'release_lease':
        this.forgetLease(command.leaseId);
        break;
      default:
        break;
    }
  }

  private forgetLease(leaseId: string): void {
    for (const [licenceId, held] of this.leases) if (held === leaseId) this.leases.delete(licenceId);
  }

  /** From now on every acknowledgement counts as one of the drain (the faults are healed). */
  startDrain(): void {
    this.drainStarted = true;
  }

  private beginRandomOperation(): void {
    const held = [...this.leases.entries()];
    const canResend = this.acknowledged.length > 0 ? this.options.resendProbability * 10 : 0;
    const choice = this.random.weighted([
      3, // acquire
      held.length > 0 ? 3 : 0, // renew
      held.length > 0 ? 1.5 : 0, // release
      3, // report usage
      canResend,
    ]);
    const requestId = this.nextRequestId();
    switch (choice) {
      case 0:
        this.begin(
          {
            type: 'acquire_lease',
            requestId,
            licenceId: this.random.pick(this.options.licenceIds),
            workstationId: this.id,
            parameters: {
              host: `${this.id}.example`,
              user: 'sim',
              cores: this.random.int(1, 64),
              productVersion: '1.0',
            },
            // The node draws the nonce, as the server's edge does (sim-node.ts).
            nonce: '',
            ttlMs: this.random.int(this.options.ttlMinMs, this.options.ttlMaxMs),
          },
          null,
        );
        return;
      case 1: {
        const [, leaseId] = this.random.pick(held);
        const ttlMs = this.random.chance(0.5)
          ? 0
          : this.random.int(this.options.ttlMinMs, this.options.ttlMaxMs);
        this.begin({ type: 'renew_lease', requestId, leaseId, ttlMs }, null);
        return;
      }
      case 2: {
        const [, leaseId] = this.random.pick(held);
        this.begin({ type: 'release_lease', requestId, leaseId }, null);
        return;
      }
      case 3:
        this.begin(
          {
            type: 'report_usage',
            requestId,
            licenceId: this.random.pick(this.options.licenceIds),
            workstationId: this.id,
            units: this.random.int(1, this.options.maxUnits),
          },
          null,
        );
        return;
      default: {
        const original = this.random.pick(this.acknowledged);
        this.statistics.resends += 1;
        this.begin(original.command, original);
      }
    }
  }
}
