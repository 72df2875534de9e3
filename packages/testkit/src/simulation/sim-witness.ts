// A simulated witness (witness mode's third voter): the consensus core's WitnessCore driven the way
// packages/server's witness server drives it. Every message is stepped at once; the state a step
// hands out is written in order, each write taking a simulated fsync, and the step's answer leaves
// only once that write and every write before it are durable. A crash loses the writes not yet
// durable (and the answers waiting for them); a restart loads the last durable state.

import assert from 'node:assert/strict';
import {
  copyWitnessState,
  type Message,
  WitnessCore,
  type WitnessState,
  type WitnessStatus,
} from '@tandem/consensus';
import { isAnswer } from './pending-answers.js';
import type { SimulationRandom } from './random.js';
import type { SimulatedTickTimer } from './tick-timer.js';

export interface SimulatedWitnessOptions {
  id: string;
  dataNodeIds: string[];
  failoverTimeoutTicks: number;
  heartbeatIntervalTicks: number;
  fsyncMinMs: number;
  fsyncMaxMs: number;
  /** At most this many answers may wait for writes; more messages are dropped (as overloaded). */
  maxWaitingAnswers: number;
  traceCore: boolean;
}

export interface WitnessEnvironment {
  nowMs(): number;
  /** requestSentAtMs: see RaftPayload (messages.ts). */
  send(message: Message, requestSentAtMs?: number): void;
  schedule(atMs: number, action: () => void): void;
  /** The witness's tick timer (late firings, the server's TickPacer). */
  tickTimer: SimulatedTickTimer;
  trace(line: string): void;
}

export interface WitnessStatistics {
  crashes: number;
  restarts: number;
  writes: number;
  /** Writes lost in a crash before they were durable. */
  writesLost: number;
  answers: number;
  /** Messages dropped because too many answers waited for writes. */
  overloaded: number;
}

/** One run of the witness process; a crash drops it. */
class WitnessProcess {
  /** When the last write issued becomes durable (writes complete in order). */
  lastWriteDoneAtMs = Number.NEGATIVE_INFINITY;
  pendingWrites = 0;
  waitingAnswers = 0;

  constructor(readonly core: WitnessCore) {}
}

export class SimulatedWitness {
  readonly id: string;
  private process: WitnessProcess | null = null;
  /** What survives a crash. */
  private durableState: WitnessState | null = null;
  private incarnation = 0;
  readonly statistics: WitnessStatistics = {
    crashes: 0,
    restarts: 0,
    writes: 0,
    writesLost: 0,
    answers: 0,
    overloaded: 0,
  };

  constructor(
    private readonly options: SimulatedWitnessOptions,
    private readonly random: SimulationRandom,
    private readonly environment: WitnessEnvironment,
  ) {
    this.id = options.id;
  }

  get isUp(): boolean {
    return this.process !== null;
  }

  /** Up, with no write in flight and no answer waiting. */
  get isIdle(): boolean {
    return this.process !== null && this.process.pendingWrites === 0 && this.process.waitingAnswers === 0;
  }

  status(): WitnessStatus {
    assert.ok(this.process !== null, `${this.id} is down`);
    return this.process.core.status();
  }

  start(): void {
    assert.equal(this.process, null, `${this.id} is already running`);
    const core = new WitnessCore(
      {
        id: this.id,
        dataNodeIds: this.options.dataNodeIds,
        failoverTimeoutTicks: this.options.failoverTimeoutTicks,
        heartbeatIntervalTicks: this.options.heartbeatIntervalTicks,
        ...(this.options.traceCore
          ? { trace: (line: string) => this.environment.trace(`core ${line}`) }
          : {}),
      },
      this.durableState === null ? null : copyWitnessState(this.durableState),
    );
    this.incarnation += 1;
    if (this.incarnation > 1) this.statistics.restarts += 1;
    this.process = new WitnessProcess(core);
    this.environment.tickTimer.restart(this.environment.nowMs());
    const state = this.durableState;
    this.trace(
      `started (incarnation ${this.incarnation}): term ${state?.term ?? 0}, vote ${state?.votedFor ?? 'none'}, ` +
        `in-sync (${state?.inSync.join(',') ?? 'initial'}), acknowledged ${state?.acknowledgedIndex ?? 0}`,
    );
  }

  /** A power failure: writes not yet durable are lost, and so are the answers waiting for them. */
  crash(): void {
    const process = this.process;
    assert.ok(process !== null, `${this.id} is already down`);
    this.statistics.crashes += 1;
    this.statistics.writesLost += process.pendingWrites;
    this.process = null;
    this.trace(`crashed${process.pendingWrites > 0 ? `, losing ${process.pendingWrites} write(s)` : ''}`);
  }

  tick(): void {
    const process = this.process;
    if (process === null) return;
    for (let due = this.environment.tickTimer.fire(this.environment.nowMs()); due > 0; due -= 1) {
      process.core.tick();
    }
  }

  /**
   * Returns false when the witness is down (the message is lost). Its answers answer this message,
   * so they carry its requestSentAtMs back (see RaftPayload).
   */
  receive(message: Message, requestSentAtMs?: number): boolean {
    const process = this.process;
    if (process === null) return false;
    if (process.waitingAnswers >= this.options.maxWaitingAnswers) {
      this.statistics.overloaded += 1;
      return true;
    }
    const step = process.core.step(message);
    const now = this.environment.nowMs();
    if (step.persist !== null) {
      const state = copyWitnessState(step.persist);
      const doneAtMs = Math.max(now, process.lastWriteDoneAtMs) + this.fsyncDelayMs();
      process.lastWriteDoneAtMs = doneAtMs;
      process.pendingWrites += 1;
      this.statistics.writes += 1;
      this.environment.schedule(doneAtMs, () => {
        if (this.process !== process) return;
        process.pendingWrites -= 1;
        this.durableState = state;
      });
    }
    // The answer waits for this step's write and for every write before it.
    const answerAtMs = Math.max(now, process.lastWriteDoneAtMs);
    process.waitingAnswers += 1;
    this.environment.schedule(answerAtMs, () => {
      if (this.process !== process) return;
      process.waitingAnswers -= 1;
      for (const answer of step.messages) {
        this.statistics.answers += 1;
        const answers = isAnswer(answer) && answer.to === message.from;
        this.environment.send(answer, answers ? requestSentAtMs : undefined);
      }
    });
    return true;
  }

  private fsyncDelayMs(): number {
    return this.random.int(this.options.fsyncMinMs, this.options.fsyncMaxMs);
  }

  private trace(line: string): void {
    this.environment.trace(`${this.id} ${line}`);
  }
}
