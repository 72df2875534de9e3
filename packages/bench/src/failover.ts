// Failover rounds, the same for Tandem and etcd: under the spread load, kill -9 the leader and
// time until the first operation that a new leader served (a success whose workstation has seen
// a higher term than any before the kill), counting the client errors seen meanwhile. Then the
// killed node is started again (for Tandem: main, and the time until main leads again is the
// failback), the load stops, and the seats must all be back to zero.
import { performance } from 'node:perf_hooks';
import type { SeatBackend, SeatsCheck } from './seat-backend.js';
import { WorkstationLoop } from './workstation-loop.js';

export interface FailoverCluster {
  backend: SeatBackend;
  /** Waits until every node is back and up to date, so that a round never starts degraded. */
  ready(): Promise<void>;
  /** The name of the node that leads now. */
  findLeader(): Promise<string>;
  /** kill -9 of that node; resolves once the process is gone. */
  kill(name: string): Promise<void>;
  /** Starts the killed node again; resolves with the failback time (Tandem's main) or null. */
  restart(name: string): Promise<number | null>;
  /**
   * What the last failback was made of (Tandem: when the restarted main listened, first heard the
   * leader, was back in the in-sync set and led, and the CPU it used), or null.
   */
  failbackPhases?(): Promise<FailbackPhases | null>;
  /**
   * What the failover after killing `killed` at killedAtMs (Date.now()) was made of (Tandem: when
   * the surviving node became pre-candidate and when it led, from its log), or null.
   */
  failoverPhases?(killed: string, killedAtMs: number): Promise<FailoverPhases | null>;
}

/** Milliseconds from the kill to each step of a failover, on the surviving node. */
export interface FailoverPhases {
  preCandidateMs: number | null;
  leadsMs: number | null;
}

export function describeFailoverPhases(phases: FailoverPhases): string {
  const at = (milliseconds: number | null) => (milliseconds === null ? '?' : `${milliseconds} ms`);
  return `pre-candidate ${at(phases.preCandidateMs)}, leads ${at(phases.leadsMs)}`;
}

/** Milliseconds from the restart to each step of a failback, and the restarted node's CPU time. */
export interface FailbackPhases {
  listeningMs: number | null;
  firstAppendMs: number | null;
  inSyncMs: number | null;
  leadsMs: number | null;
  /** User + system CPU time of the restarted process until it led. */
  cpuMs: number;
}

export function describeFailbackPhases(phases: FailbackPhases): string {
  const at = (milliseconds: number | null) =>
    milliseconds === null ? '?' : `${(milliseconds / 1000).toFixed(1)} s`;
  return (
    `listening ${at(phases.listeningMs)}, leader heard ${at(phases.firstAppendMs)}, ` +
    `in sync ${at(phases.inSyncMs)}, leads ${at(phases.leadsMs)}; CPU ${at(phases.cpuMs)}`
  );
}

export interface FailoverOptions {
  cluster: FailoverCluster;
  rounds: number;
  workstations: number;
  licenceFor: (position: number) => string;
  /** Load before the kill, so that every workstation is in its loop. */
  warmupMs?: number;
  /** Load kept after the first success and after the restart, whose errors still count. */
  settleMs?: number;
  /** Longest wait for the first success after a kill. */
  failoverTimeoutMs?: number;
  say: (text: string) => void;
  label: string;
}

export interface FailoverRound {
  round: number;
  killed: string;
  /** null when no operation succeeded within the timeout. */
  failoverMs: number | null;
  failoverErrors: number;
  failbackMs: number | null;
  failbackErrors: number;
  failbackPhases: FailbackPhases | null;
  failoverPhases: FailoverPhases | null;
  ops: number;
  errorSamples: string[];
  seats: SeatsCheck;
}

export interface FailoverSummary {
  workstations: number;
  rounds: FailoverRound[];
  /** Median over rounds; a round without recovery counts as infinitely slow (null if it is the median). */
  medianFailoverMs: number | null;
  failoverErrors: number;
  medianFailbackMs: number | null;
  failbackErrors: number;
  seatsBackToZero: boolean;
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Median of the values; null stands for "never", larger than every number. */
export function medianOf(values: Array<number | null>): number | null {
  if (values.length === 0) return null;
  const sorted = values.map((value) => value ?? Number.POSITIVE_INFINITY).sort((left, right) => left - right);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)] as number;
  return Number.isFinite(middle) ? middle : null;
}

type Measured = Pick<
  FailoverRound,
  | 'killed'
  | 'failoverMs'
  | 'failoverErrors'
  | 'failbackMs'
  | 'failbackErrors'
  | 'failbackPhases'
  | 'failoverPhases'
>;

async function measureRound(loop: WorkstationLoop, options: FailoverOptions): Promise<Measured> {
  const { cluster, say } = options;
  const settleMs = options.settleMs ?? 1000;
  await sleep(options.warmupMs ?? 2000);
  const killed = await cluster.findLeader();
  const termAtKill = loop.maxTerm();
  const recovered = loop.waitForSuccessAbove(termAtKill, options.failoverTimeoutMs ?? 60_000);
  // A rejection is handled below; until then it must not count as unhandled.
  recovered.catch(() => undefined);
  const killedAtMs = performance.now();
  const killedAtEpochMs = Date.now();
  await cluster.kill(killed);
  say(`killed ${killed} ... `);
  let failoverMs: number | null = null;
  let failoverPhases: FailoverPhases | null = null;
  try {
    failoverMs = Math.round((await recovered) - killedAtMs);
    failoverPhases = (await cluster.failoverPhases?.(killed, killedAtEpochMs)) ?? null;
    const phases = failoverPhases === null ? '' : ` (${describeFailoverPhases(failoverPhases)})`;
    say(`served again after ${failoverMs} ms${phases} ... `);
  } catch {
    say('no operation succeeded ... ');
  }
  await sleep(settleMs);
  const restartAtMs = performance.now();
  const failoverErrors = loop.errorsBetween(killedAtMs, restartAtMs);
  const failbackMs = await cluster.restart(killed);
  const failbackPhases = failbackMs === null ? null : ((await cluster.failbackPhases?.()) ?? null);
  await sleep(settleMs);
  const failbackErrors = loop.errorsBetween(restartAtMs, performance.now());
  return { killed, failoverMs, failoverErrors, failbackMs, failbackErrors, failbackPhases, failoverPhases };
}

/** One round: load, kill -9 the leader, wait for service, restart the node, stop, check seats. */
export async function runFailoverRound(options: FailoverOptions, round: number): Promise<FailoverRound> {
  const { cluster, say } = options;
  say(`  ${options.label} failover round ${round}/${options.rounds}: all nodes in sync ... `);
  await cluster.ready();
  say('load ... ');
  const loop = await WorkstationLoop.start({
    backend: cluster.backend,
    kind: 'seats',
    licenceFor: options.licenceFor,
    workstations: options.workstations,
    durationMs: 600_000,
    runName: `failover-r${round}`,
  });
  let measured: Measured;
  try {
    measured = await measureRound(loop, options);
  } catch (error) {
    // The load stops even when a round fails, so that the exit is clean.
    await loop.stop();
    throw error;
  }
  const result = await loop.stop();
  const seats = await cluster.backend.seatsInUse();
  const { failoverErrors, failbackMs, failbackErrors, failbackPhases } = measured;
  const phases = failbackPhases === null ? '' : ` (${describeFailbackPhases(failbackPhases)})`;
  say(
    `${failbackMs === null ? 'restarted' : `failback ${failbackMs} ms${phases}`}; errors ${failoverErrors} + ${failbackErrors}; ` +
      `seats in use after: ${seats.seatsInUse} ${seats.seatsInUse === 0 && seats.holders === 0 ? 'ok' : 'NOT ZERO'}\n`,
  );
  return { round, ...measured, ops: result.ops, errorSamples: result.errorSamples, seats };
}

export function summarizeFailover(workstations: number, rounds: FailoverRound[]): FailoverSummary {
  return {
    workstations,
    rounds,
    medianFailoverMs: medianOf(rounds.map((round) => round.failoverMs)),
    failoverErrors: rounds.reduce((sum, round) => sum + round.failoverErrors, 0),
    // Only rounds that killed Tandem's main have a failback; the others do not count here.
    medianFailbackMs: medianOf(
      rounds.flatMap((round) => (round.failbackMs === null ? [] : [round.failbackMs])),
    ),
    failbackErrors: rounds.reduce((sum, round) => sum + round.failbackErrors, 0),
    seatsBackToZero: rounds.every((round) => round.seats.seatsInUse === 0 && round.seats.holders === 0),
  };
}

export async function runFailoverRounds(options: FailoverOptions): Promise<FailoverSummary> {
  const rounds: FailoverRound[] = [];
  for (let round = 1; round <= options.rounds; round += 1)
    rounds.push(await runFailoverRound(options, round));
  return summarizeFailover(options.workstations, rounds);
}
