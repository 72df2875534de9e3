// The workstation loop: each workstation acquires a seat and then releases it (or reports usage),
// as fast as the cluster answers, until the run ends. Every acquire, release, denial and report
// is one op. Errors are counted apart and never enter the latency histogram.
import { performance } from 'node:perf_hooks';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import type { BenchWorkstation, SeatBackend, SystemName } from './seat-backend.js';

export type LoopKind = 'seats' | 'usage';

export interface LoopOptions {
  backend: SeatBackend;
  kind: LoopKind;
  /** The licence that the workstation at this position uses, always the same one. */
  licenceFor: (position: number) => string;
  workstations: number;
  /** The run ends after this long, or earlier when stop() is called. */
  durationMs: number;
  /** Workload name, used in workstation ids so that runs do not share holders. */
  runName: string;
  /** Pause after an error before the workstation tries again, so that a dead cluster is not spun on. */
  pauseAfterErrorMs?: number;
}

export interface LoopResult {
  system: SystemName;
  runName: string;
  kind: LoopKind;
  workstations: number;
  durationMs: number;
  /** How long every workstation took to connect before the clock started (not in durationMs). */
  connectMs: number;
  ops: number;
  opsPerSecond: number;
  acquired: number;
  released: number;
  denied: number;
  reports: number;
  errors: number;
  /** Up to MAX_ERROR_SAMPLES distinct error messages. */
  errorSamples: string[];
  /** Seats whose release failed during the run and that were given back after it. */
  releasedAfterRun: number;
  latency: LatencySummary;
}

export const MAX_WORKSTATIONS = 4096;
const MAX_ERROR_SAMPLES = 5;
/** Error times kept for the failover windows; beyond this only the count grows. */
const MAX_ERROR_TIMES = 100_000;
/** Success times kept for the gap measurement: some minutes of the 64-workstation load. */
const MAX_SUCCESS_TIMES = 2_000_000;
const RELEASE_AFTER_RUN_ATTEMPTS = 20;

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

interface SuccessWatcher {
  aboveTerm: number;
  resolve: (atMs: number) => void;
}

export class WorkstationLoop {
  private readonly latency = new LatencyRecorder();
  private readonly unreleased: Array<() => Promise<void>> = [];
  private readonly errorTimesMs: number[] = [];
  /** When each operation succeeded (performance.now()), in order; bounded by MAX_SUCCESS_TIMES. */
  private readonly successTimesMs: number[] = [];
  private readonly errorSamples = new Set<string>();
  private readonly watchers = new Set<SuccessWatcher>();
  private readonly counts = { ops: 0, acquired: 0, released: 0, denied: 0, reports: 0, errors: 0 };
  private stopped = false;
  private startedMs = 0;
  /** How long every workstation took to connect, before the clock started. */
  private connectMs = 0;
  private loops: Promise<void>[] = [];
  private result: Promise<LoopResult> | null = null;

  private constructor(
    private readonly options: LoopOptions,
    private readonly workstations: BenchWorkstation[],
  ) {}

  /** Creates every workstation's client first, then starts the clock and the loops. */
  static async start(options: LoopOptions): Promise<WorkstationLoop> {
    if (!Number.isInteger(options.workstations) || options.workstations < 1) {
      throw new Error(`workstations must be a positive integer, not ${options.workstations}`);
    }
    if (options.workstations > MAX_WORKSTATIONS) {
      throw new Error(`at most ${MAX_WORKSTATIONS} workstations per run, not ${options.workstations}`);
    }
    const workstations = await Promise.all(
      Array.from({ length: options.workstations }, (_, position) =>
        options.backend.workstation(`${options.runName}-ws-${position}`),
      ),
    );
    // Connected before the clock starts: a run measures workstations at work, not their handshakes
    // (512 TLS handshakes at once took 5-8 s of a 10 s run at 256 workstations).
    const connectStartedMs = performance.now();
    await Promise.all(
      workstations.map((workstation, position) => workstation.connect(options.licenceFor(position))),
    );
    const loop = new WorkstationLoop(options, workstations);
    loop.connectMs = Math.round(performance.now() - connectStartedMs);
    loop.startedMs = performance.now();
    const deadlineMs = loop.startedMs + options.durationMs;
    loop.loops = workstations.map((workstation, position) =>
      loop.runOne(workstation, options.licenceFor(position), deadlineMs),
    );
    return loop;
  }

  /** Ops so far, for progress lines. */
  get ops(): number {
    return this.counts.ops;
  }

  /** The highest term any workstation has seen. */
  maxTerm(): number {
    return this.workstations.reduce((highest, workstation) => Math.max(highest, workstation.term), 0);
  }

  /** Errors seen in [fromMs, toMs) of performance.now(). */
  errorsBetween(fromMs: number, toMs: number): number {
    return this.errorTimesMs.filter((atMs) => atMs >= fromMs && atMs < toMs).length;
  }

  /**
   * The longest stretch without a successful operation that ends in [fromMs, toMs]: from the last
   * success before it (or fromMs, if none) to the next one (or toMs). The write gap as the
   * workstations saw it.
   */
  longestGapBetween(fromMs: number, toMs: number): number {
    const times = this.successTimesMs;
    let low = 0;
    let high = times.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((times[middle] as number) < fromMs) low = middle + 1;
      else high = middle;
    }
    let previousMs = low > 0 ? (times[low - 1] as number) : fromMs;
    let longestMs = 0;
    for (let position = low; position < times.length && (times[position] as number) <= toMs; position += 1) {
      const atMs = times[position] as number;
      longestMs = Math.max(longestMs, atMs - previousMs);
      previousMs = atMs;
    }
    return Math.max(longestMs, toMs - previousMs);
  }

  /**
   * Resolves with the performance.now() time of the first success whose workstation has seen a
   * term above `term`, that is the first operation a new leader served; rejects after timeoutMs.
   */
  waitForSuccessAbove(term: number, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers.delete(watcher);
        reject(new Error(`no operation succeeded above term ${term} within ${timeoutMs} ms`));
      }, timeoutMs);
      const watcher: SuccessWatcher = {
        aboveTerm: term,
        resolve: (atMs) => {
          clearTimeout(timer);
          resolve(atMs);
        },
      };
      this.watchers.add(watcher);
    });
  }

  /** Waits for the run's end (its duration, or stop()), gives back leftover seats, closes clients. */
  finished(): Promise<LoopResult> {
    this.result ??= this.finish();
    return this.result;
  }

  /** Ends the run now: each workstation finishes its current operation and stops. */
  stop(): Promise<LoopResult> {
    this.stopped = true;
    return this.finished();
  }

  private async runOne(workstation: BenchWorkstation, licenceId: string, deadlineMs: number): Promise<void> {
    const running = () => !this.stopped && performance.now() < deadlineMs;
    while (running()) {
      let pendingRelease: (() => Promise<void>) | null = null;
      try {
        if (this.options.kind === 'usage') {
          await this.timed(workstation, () => workstation.reportUsage(licenceId, 1));
          this.counts.reports += 1;
          continue;
        }
        const outcome = await this.timed(workstation, () => workstation.acquire(licenceId));
        if (!outcome.granted) {
          this.counts.denied += 1;
          continue;
        }
        this.counts.acquired += 1;
        pendingRelease = outcome.release;
        await this.timed(workstation, outcome.release);
        pendingRelease = null;
        this.counts.released += 1;
      } catch (error) {
        this.noteError(error);
        // A seat granted and not given back is returned after the run, outside the measurement.
        if (pendingRelease !== null) this.unreleased.push(pendingRelease);
        await sleep(this.options.pauseAfterErrorMs ?? 20);
      }
    }
  }

  private async timed<T>(workstation: BenchWorkstation, operation: () => Promise<T>): Promise<T> {
    const beginMs = performance.now();
    const value = await operation();
    const endMs = performance.now();
    this.latency.recordMs(endMs - beginMs);
    this.counts.ops += 1;
    if (this.successTimesMs.length < MAX_SUCCESS_TIMES) this.successTimesMs.push(endMs);
    for (const watcher of this.watchers) {
      if (workstation.term > watcher.aboveTerm) {
        this.watchers.delete(watcher);
        watcher.resolve(endMs);
      }
    }
    return value;
  }

  private noteError(error: unknown): void {
    this.counts.errors += 1;
    if (this.errorTimesMs.length < MAX_ERROR_TIMES) this.errorTimesMs.push(performance.now());
    if (this.errorSamples.size < MAX_ERROR_SAMPLES) {
      this.errorSamples.add(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
  }

  private async finish(): Promise<LoopResult> {
    await Promise.all(this.loops);
    const elapsedMs = performance.now() - this.startedMs;
    const releasedAfterRun = await this.releaseLeftovers();
    for (const workstation of this.workstations) workstation.close();
    const { ops, acquired, released, denied, reports, errors } = this.counts;
    return {
      system: this.options.backend.system,
      runName: this.options.runName,
      kind: this.options.kind,
      workstations: this.options.workstations,
      durationMs: Math.round(elapsedMs),
      connectMs: this.connectMs,
      ops,
      opsPerSecond: Math.round((ops / elapsedMs) * 1000),
      acquired,
      released,
      denied,
      reports,
      errors,
      errorSamples: [...this.errorSamples],
      releasedAfterRun,
      latency: this.latency.summary(),
    };
  }

  private async releaseLeftovers(): Promise<number> {
    let released = 0;
    for (const release of this.unreleased) {
      for (let attempt = 1; attempt <= RELEASE_AFTER_RUN_ATTEMPTS; attempt += 1) {
        try {
          await release();
          released += 1;
          break;
        } catch {
          await sleep(250);
        }
      }
    }
    return released;
  }
}

/** Runs the loop for its whole duration. */
export async function runWorkstationLoop(options: LoopOptions): Promise<LoopResult> {
  const loop = await WorkstationLoop.start(options);
  return loop.finished();
}
