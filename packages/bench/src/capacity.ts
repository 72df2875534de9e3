// The capacity workload: how many workstations one pair serves at a 30 s lease TTL. N simulated
// workstations each hold one lease (ttlMs 30,000) and renew it every 10 s, open loop: each renewal
// is sent when the clock says it is due (workstation i at i/N of the period, see
// capacity-schedule.ts), whether or not earlier ones were answered, and its latency is measured from
// that due time, so that a late send counts. N is stepped up; each step grows the population (the
// earlier leases keep being renewed), waits one full renewal period as a warm-up, then measures a
// window: renewals/s, latency, errors, leases lost (a renewal answered lease_not_found), both nodes'
// CPU% and the load generator's own event-loop delay and CPU%, so that a saturated generator shows.
//
// Thousands of workstations cannot each have a process, a certificate and a TLS connection on a
// 2-core machine that also runs both nodes: the simulated workstations share a bounded pool of real
// clients (`@tandem/client`, each with its own workstation certificate and channels, TLS as
// deployed). This measures the server's capacity, not the load generator's; what it leaves out is
// the server's cost of holding N connections instead of the pool's. A pool client's identity holds
// one lease per licence, so simulated workstation i uses pool client i mod P and licence
// floor(i / P), and each licence has P seats: seats are never the limit.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { connect, NotFoundError, unaryCall, type WorkstationClient } from '@tandem/client';
import type { TestPki } from '@tandem/testkit';
import {
  type LeaseResponse__Output,
  leaseAnswerFromWire,
  type ReleaseLeaseResponse__Output,
} from '@tandem/wire';
import { CAPACITY_TTL_MS, RENEWAL_PERIOD_MS, RenewalSchedule } from './capacity-schedule.js';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import { cpuPercent, cpuTicks, TICKS_PER_SECOND } from './process-cpu.js';
import { capacityStepSaturated, SATURATED_P99_MS } from './report.js';
import { forEachLimited, type LicenceLayout } from './seat-backend.js';

/** Renewals sent per timer turn at most, so that a late timer cannot block the loop for long. */
const MAX_SENDS_PER_TURN = 2000;
/** Acquires and releases in flight at once outside the measurement. */
const SETUP_IN_PARALLEL = 64;
const ACQUIRE_ATTEMPTS = 5;
const MAX_ERROR_SAMPLES = 5;
/** How long a window's late answers are waited for after it closes. */
const DRAIN_TIMEOUT_MS = 60_000;
/** Event-loop delay sampling: fine enough to see a 10 ms stall. */
const EVENT_LOOP_RESOLUTION_MS = 5;

export interface CapacityOptions {
  servers: string[];
  /** The cluster's PKI for the pool's certificates; null against an insecure cluster. */
  pki: TestPki | null;
  /** Activates licences (the backend's admin client). */
  activate: (licences: LicenceLayout[]) => Promise<void>;
  /** Population sizes, increasing. */
  steps: number[];
  measuredMs: number;
  /** Pool clients the simulated workstations share. */
  clients: number;
  /** Process ids whose CPU% is reported (main and backup). */
  nodePids: Record<string, number>;
  say: (text: string) => void;
}

export interface CapacityStep {
  workstations: number;
  clients: number;
  licences: number;
  ttlMs: number;
  renewalPeriodMs: number;
  warmUpMs: number;
  measuredMs: number;
  /** Renewals due in the window, and those answered with the lease. */
  renewalsDue: number;
  renewals: number;
  renewalsPerSecond: number;
  /** From each renewal's due time to its answer; errors excluded. */
  latency: LatencySummary;
  errors: number;
  /** Up to MAX_ERROR_SAMPLES messages, the window's first, then the rest of the step's. */
  errorSamples: string[];
  /**
   * Leases lost during the step: renewals answered lease_not_found from the start of its
   * acquisitions to the end of its window (a lease whose renewals failed for a whole TTL, in the
   * warm-up or while the step's new leases were being acquired, is lost too).
   */
  lostLeases: number;
  /** Renewals that failed (not lost) during the step: acquisitions, warm-up and window. */
  errorsInStep: number;
  /** How long acquiring the step's new leases took (the earlier ones renewing meanwhile). */
  acquireMs: number;
  /** Leases lost since the workload began (warm-ups included). */
  lostLeasesTotal: number;
  /** Renewals due while the workstation's previous one was still unanswered (sent after it). */
  lateSends: number;
  /** CPU% per node (100 = one core) and of the load generator, over the window. */
  cpuPercent: Record<string, number>;
  /** From each renewal's due time to when it was sent (all of it the generator's lateness). */
  sendLag: LatencySummary;
  /** The load generator's event-loop delay over the window. */
  generatorEventLoop: { p99Ms: number; maxMs: number };
  loadAverage: number[];
}

export interface CapacityResult {
  steps: CapacityStep[];
  /** Leases given back at the end, and seats still held after that on the capacity licences. */
  released: number;
  releaseErrors: number;
}

interface Simulated {
  position: number;
  client: WorkstationClient;
  licenceId: string;
  leaseId: string;
  inFlight: boolean;
  /** A renewal that came due while the previous one was unanswered: sent when it is answered. */
  waiting: { dueMs: number; window: Window | null } | null;
  lost: boolean;
}

/** One step's measurement window: renewals due in [startMs, endMs). */
class Window {
  readonly latency = new LatencyRecorder();
  /** From each renewal's due time to its send: the load generator's own lateness. */
  readonly sendLag = new LatencyRecorder();
  due = 0;
  renewals = 0;
  errors = 0;
  late = 0;
  outstanding = 0;
  readonly errorSamples = new Set<string>();
  #drained: (() => void) | null = null;

  constructor(
    readonly startMs: number,
    readonly endMs: number,
  ) {}

  holds(dueMs: number): boolean {
    return dueMs >= this.startMs && dueMs < this.endMs;
  }

  settle(): void {
    this.outstanding -= 1;
    if (this.outstanding === 0) this.#drained?.();
  }

  /** Resolves when every renewal due in the window has its answer (or after timeoutMs). */
  drained(timeoutMs: number): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export class CapacityRun {
  readonly #pool: WorkstationClient[] = [];
  readonly #simulated: Simulated[] = [];
  readonly #schedule = new RenewalSchedule(performance.now(), RENEWAL_PERIOD_MS);
  #timer: NodeJS.Timeout | null = null;
  #window: Window | null = null;
  #lostTotal = 0;
  #errorsTotal = 0;
  /** Error messages seen during the current step, window or not. */
  readonly #stepErrorSamples = new Set<string>();
  #activatedLicences = 0;

  constructor(private readonly options: CapacityOptions) {
    if (!Number.isSafeInteger(options.clients) || options.clients < 1) {
      throw new Error(`clients must be a positive integer, not ${options.clients}`);
    }
  }

  /** Every step in turn, until one is saturated; then gives every lease back. */
  async run(): Promise<CapacityResult> {
    const steps: CapacityStep[] = [];
    try {
      await this.#openPool();
      for (const workstations of this.options.steps) {
        const step = await this.#step(workstations);
        steps.push(step);
        // A step that merely misses the p99 goal does not end the search: on a shared machine one
        // step can be spoiled by others' load. A saturated pair is not pushed further.
        if (capacityStepSaturated(step)) {
          this.options.say(
            `  past saturation (an error, a lost lease, a renewal unanswered, or p99 of ${SATURATED_P99_MS} ms or more): no larger step is run\n`,
          );
          break;
        }
      }
      this.#stopRenewing();
      const { released, releaseErrors } = await this.#releaseAll();
      return { steps, released, releaseErrors };
    } finally {
      // On a failed step the leases are left to the pair, which the caller stops.
      this.#stopRenewing();
      for (const client of this.#pool) client.close();
    }
  }

  async #openPool(): Promise<void> {
    for (let index = 0; index < this.options.clients; index += 1) {
      const workstationId = `capacity-pool-${index}`;
      const settings =
        this.options.pki === null
          ? { servers: this.options.servers, workstationId, insecure: true }
          : await this.options.pki.settings(this.options.servers, 'workstation', workstationId);
      this.#pool.push(await connect(settings));
    }
  }

  async #step(workstations: number): Promise<CapacityStep> {
    const { say, clients, measuredMs } = this.options;
    const licences = Math.ceil(workstations / clients);
    await this.#activateUpTo(licences);
    const lostBefore = this.#lostTotal;
    const errorsBefore = this.#errorsTotal;
    this.#stepErrorSamples.clear();
    const added = workstations - this.#simulated.length;
    say(`  ${workstations} workstations: acquiring ${added} leases ...`);
    const acquireStartedMs = performance.now();
    await this.#acquireUpTo(workstations);
    const acquireMs = Math.round(performance.now() - acquireStartedMs);
    const lostAcquiring = this.#lostTotal - lostBefore;
    say(` ${acquireMs} ms${lostAcquiring > 0 ? ` (${lostAcquiring} leases lost meanwhile)` : ''};`);
    say(` warm-up ${RENEWAL_PERIOD_MS} ms ...`);
    this.#schedule.resize(workstations, performance.now());
    this.#arm();
    await sleep(RENEWAL_PERIOD_MS);

    const startMs = performance.now();
    const window = new Window(startMs, startMs + measuredMs);
    this.#window = window;
    const pids = Object.entries(this.options.nodePids);
    const ticksBefore = await Promise.all(pids.map(([, pid]) => cpuTicks(pid)));
    const ownBefore = await cpuTicks(process.pid);
    const eventLoop: IntervalHistogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    eventLoop.enable();
    say(` measuring ${measuredMs} ms ...`);
    await sleep(window.endMs - performance.now());
    const elapsedMs = performance.now() - startMs;
    eventLoop.disable();
    const ticksAfter = await Promise.all(pids.map(([, pid]) => cpuTicks(pid)));
    const ownAfter = await cpuTicks(process.pid);
    await window.drained(DRAIN_TIMEOUT_MS);
    this.#window = null;

    const cpu: Record<string, number> = {};
    pids.forEach(([name], index) => {
      cpu[name] = cpuPercent(ticksBefore[index] ?? 0, ticksAfter[index] ?? 0, elapsedMs, TICKS_PER_SECOND);
    });
    cpu.generator = cpuPercent(ownBefore, ownAfter, elapsedMs, TICKS_PER_SECOND);
    const toMs = (nanoseconds: number) => Math.round(nanoseconds / 10_000) / 100;
    const step: CapacityStep = {
      workstations,
      clients,
      licences,
      ttlMs: CAPACITY_TTL_MS,
      renewalPeriodMs: RENEWAL_PERIOD_MS,
      warmUpMs: RENEWAL_PERIOD_MS,
      measuredMs,
      renewalsDue: window.due,
      renewals: window.renewals,
      renewalsPerSecond: Math.round((window.renewals / measuredMs) * 1000),
      latency: window.latency.summary(),
      errors: window.errors,
      errorSamples: [...new Set([...window.errorSamples, ...this.#stepErrorSamples])].slice(
        0,
        MAX_ERROR_SAMPLES,
      ),
      lostLeases: this.#lostTotal - lostBefore,
      acquireMs,
      errorsInStep: this.#errorsTotal - errorsBefore,
      lostLeasesTotal: this.#lostTotal,
      lateSends: window.late,
      sendLag: window.sendLag.summary(),
      cpuPercent: cpu,
      generatorEventLoop: { p99Ms: toMs(eventLoop.percentile(99)), maxMs: toMs(eventLoop.max) },
      loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
    };
    const cpuText = Object.entries(cpu)
      .map(([name, percent]) => `${name} ${percent}%`)
      .join(', ');
    say(
      ` ${step.renewalsPerSecond} renewals/s; p50 ${step.latency.p50Ms} p99 ${step.latency.p99Ms} max ${step.latency.maxMs} ms; ` +
        `errors ${step.errors} (${step.errorsInStep} in the whole step), leases lost in the step ${step.lostLeases}, late sends ${step.lateSends}; CPU ${cpuText}; ` +
        `send lag p99 ${step.sendLag.p99Ms} max ${step.sendLag.maxMs} ms; ` +
        `generator event-loop delay p99 ${step.generatorEventLoop.p99Ms} max ${step.generatorEventLoop.maxMs} ms\n`,
    );
    for (const sample of step.errorSamples) say(`    error: ${sample}\n`);
    return step;
  }

  async #activateUpTo(licences: number): Promise<void> {
    if (licences <= this.#activatedLicences) return;
    const layout: LicenceLayout[] = [];
    for (let index = this.#activatedLicences; index < licences; index += 1) {
      layout.push({ licenceId: `capacity-${index}`, seats: this.options.clients });
    }
    await this.options.activate(layout);
    this.#activatedLicences = licences;
  }

  async #acquireUpTo(workstations: number): Promise<void> {
    const positions: number[] = [];
    for (let position = this.#simulated.length; position < workstations; position += 1)
      positions.push(position);
    const acquired: Simulated[] = [];
    await forEachLimited(positions, SETUP_IN_PARALLEL, async (position) => {
      const client = this.#pool[position % this.#pool.length] as WorkstationClient;
      const licenceId = `capacity-${Math.floor(position / this.#pool.length)}`;
      for (let attempt = 1; ; attempt += 1) {
        try {
          const handle = await client.acquire(licenceId, { ttlMs: CAPACITY_TTL_MS });
          // The workload renews by the clock itself, not at the handle's pace.
          handle.abandon();
          acquired.push({
            position,
            client,
            licenceId,
            leaseId: handle.leaseId,
            inFlight: false,
            waiting: null,
            lost: false,
          });
          return;
        } catch (error) {
          if (attempt >= ACQUIRE_ATTEMPTS) {
            throw new Error(`acquiring ${licenceId} for workstation ${position} failed: ${describe(error)}`);
          }
          await sleep(100 * attempt);
        }
      }
    });
    acquired.sort((left, right) => left.position - right.position);
    this.#simulated.push(...acquired);
  }

  /** Sends the renewals now due, then sleeps until the next one is. */
  #arm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    const nextMs = this.#schedule.nextDueMs();
    if (nextMs === null) return;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, nextMs - performance.now()));
  }

  #fire(): void {
    this.#timer = null;
    for (const { position, dueMs } of this.#schedule.takeDue(performance.now(), MAX_SENDS_PER_TURN)) {
      const simulated = this.#simulated[position];
      if (simulated === undefined || simulated.lost) continue;
      const window = this.#window?.holds(dueMs) ? this.#window : null;
      if (window !== null) {
        window.due += 1;
        window.outstanding += 1;
      }
      if (simulated.inFlight) {
        // Sent when the previous renewal is answered; its latency still counts from now.
        if (window !== null) window.late += 1;
        if (simulated.waiting === null) simulated.waiting = { dueMs, window };
        else if (window !== null) {
          // A third renewal due before the first was answered: the second stands for both.
          window.errors += 1;
          window.errorSamples.add('a renewal came due while two earlier ones were unanswered');
          window.settle();
        }
        continue;
      }
      void this.#renew(simulated, dueMs, window);
    }
    this.#arm();
  }

  async #renew(simulated: Simulated, dueMs: number, window: Window | null): Promise<void> {
    simulated.inFlight = true;
    const { client } = simulated;
    // As the client library renews: one request id for the renewal and its retries, ttlMs 0 (keep
    // the lease's TTL), no retry past the time the lease would have expired.
    const request = { requestId: randomUUID(), leaseId: simulated.leaseId, ttlMs: 0 };
    window?.sendLag.recordMs(performance.now() - dueMs);
    try {
      const response = await client.connection.call(
        'RenewLease',
        (address, callOptions) =>
          unaryCall<LeaseResponse__Output>((callback) =>
            client.connection.workstationService(address).RenewLease(request, callOptions, callback),
          ),
        { untilMs: dueMs + CAPACITY_TTL_MS },
      );
      if (leaseAnswerFromWire(response) === null) throw new Error('the server answered without a lease');
      if (window !== null) {
        window.latency.recordMs(performance.now() - dueMs);
        window.renewals += 1;
      }
    } catch (error) {
      if (error instanceof NotFoundError) {
        simulated.lost = true;
        this.#lostTotal += 1;
      } else {
        this.#errorsTotal += 1;
        if (this.#stepErrorSamples.size < MAX_ERROR_SAMPLES) this.#stepErrorSamples.add(describe(error));
        if (window !== null) {
          window.errors += 1;
          if (window.errorSamples.size < MAX_ERROR_SAMPLES) window.errorSamples.add(describe(error));
        }
      }
    } finally {
      simulated.inFlight = false;
      window?.settle();
    }
    const waiting = simulated.waiting;
    if (waiting === null) return;
    simulated.waiting = null;
    if (simulated.lost) waiting.window?.settle();
    else void this.#renew(simulated, waiting.dueMs, waiting.window);
  }

  #stopRenewing(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#schedule.resize(0, performance.now());
  }

  /** Gives every lease back, outside any measurement. */
  async #releaseAll(): Promise<{ released: number; releaseErrors: number }> {
    let released = 0;
    let releaseErrors = 0;
    const held = this.#simulated.filter((simulated) => !simulated.lost);
    await forEachLimited(held, SETUP_IN_PARALLEL, async ({ client, leaseId }) => {
      const request = { requestId: randomUUID(), leaseId };
      try {
        await client.connection.call('ReleaseLease', (address, callOptions) =>
          unaryCall<ReleaseLeaseResponse__Output>((callback) =>
            client.connection.workstationService(address).ReleaseLease(request, callOptions, callback),
          ),
        );
        released += 1;
      } catch (error) {
        if (error instanceof NotFoundError) released += 1;
        else releaseErrors += 1;
      }
    });
    return { released, releaseErrors };
  }
}

/** Runs the capacity steps against a running cluster. */
export function runCapacity(options: CapacityOptions): Promise<CapacityResult> {
  return new CapacityRun(options).run();
}
