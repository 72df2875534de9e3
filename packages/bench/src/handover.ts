// Planned handovers under the 64-workstation spread load (issue 12, item 6), Tandem's pair only:
// - drain: `DrainNode main` (leadership moves to the backup), then `UndrainNode main` (the main
//   takes it back once in sync);
// - SIGTERM of the leading main (it hands leadership to the backup before it exits), then its
//   restart (the backup hands leadership back once the main is in sync).
// Each step reports the write gap as the workstations saw it, the longest stretch without any
// successful operation between the step's start and a settle time after it ended, and the client
// errors in that window. A first window without any step (steady) gives the load's own longest
// gap on the machine as it is, to compare with. Figures are printed and written to bench-results.json, never asserted.
import { performance } from 'node:perf_hooks';
import { AdminClient, resolveSettings } from '@tandem/client';
import { type TandemdPair, waitForLeader } from '@tandem/testkit';
import type { SeatBackend } from './seat-backend.js';
import { WorkstationLoop } from './workstation-loop.js';

const LEADER_TIMEOUT_MS = 60_000;

/** steady: a window without any step, the load's own longest gap on this machine, for comparison. */
export type HandoverStepName = 'steady' | 'drain' | 'undrain' | 'sigterm' | 'restart';
const STEP_NAMES: readonly HandoverStepName[] = ['steady', 'drain', 'undrain', 'sigterm', 'restart'];

export interface HandoverStep {
  step: HandoverStepName;
  /** How long the step took to carry out (the RPC, the process exit, the restart until main leads). */
  stepMs: number;
  /** The longest stretch without a successful operation, in the step's window. */
  gapMs: number;
  errors: number;
}

export interface HandoverRound {
  round: number;
  steps: HandoverStep[];
  ops: number;
  errorSamples: string[];
  seatsBackToZero: boolean;
}

export interface HandoverSummary {
  workstations: number;
  rounds: HandoverRound[];
  /** Per step: the largest gap over the rounds, and the errors summed over them. */
  worst: Record<HandoverStepName, { maxGapMs: number; errors: number }>;
}

export interface HandoverOptions {
  pair: TandemdPair;
  backend: SeatBackend;
  /** Waits until both nodes are up and in sync. */
  ready: () => Promise<void>;
  rounds: number;
  workstations: number;
  licenceFor: (position: number) => string;
  warmupMs?: number;
  /** Load kept after each step; its errors and gaps still count. */
  settleMs?: number;
  say: (text: string) => void;
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

async function measure(
  loop: WorkstationLoop,
  step: HandoverStepName,
  settleMs: number,
  action: () => Promise<void>,
): Promise<HandoverStep> {
  const startMs = performance.now();
  await action();
  const doneMs = performance.now();
  await sleep(settleMs);
  const endMs = performance.now();
  return {
    step,
    stepMs: Math.round(doneMs - startMs),
    gapMs: Math.round(loop.longestGapBetween(startMs, endMs)),
    errors: loop.errorsBetween(startMs, endMs),
  };
}

export async function runHandoverRound(options: HandoverOptions, round: number): Promise<HandoverRound> {
  const { pair, say } = options;
  const settleMs = options.settleMs ?? 1000;
  say(`  tandem handover round ${round}/${options.rounds}: both in sync ... `);
  await options.ready();
  await waitForLeader(pair.access, pair.servers, LEADER_TIMEOUT_MS, (leader) => leader.id === 'main');
  const admin = new AdminClient(resolveSettings(await pair.settings('admin', 'admin', { maxAttempts: 30 })));
  const loop = await WorkstationLoop.start({
    backend: options.backend,
    kind: 'seats',
    licenceFor: options.licenceFor,
    workstations: options.workstations,
    durationMs: 600_000,
    runName: `handover-r${round}`,
  });
  const steps: HandoverStep[] = [];
  const report = (step: HandoverStep) => {
    steps.push(step);
    say(`${step.step}: gap ${step.gapMs} ms, ${step.errors} errors ... `);
  };
  try {
    await sleep(options.warmupMs ?? 2000);
    report(await measure(loop, 'steady', settleMs, async () => undefined));
    report(
      await measure(loop, 'drain', settleMs, async () => {
        await admin.drainNode('main');
      }),
    );
    report(
      await measure(loop, 'undrain', settleMs, async () => {
        await admin.undrainNode('main');
        await waitForLeader(pair.access, pair.servers, LEADER_TIMEOUT_MS, (leader) => leader.id === 'main');
      }),
    );
    await options.ready();
    await sleep(settleMs);
    report(
      await measure(loop, 'sigterm', settleMs, async () => {
        await pair.stopNode('main');
      }),
    );
    report(
      await measure(loop, 'restart', settleMs, async () => {
        await pair.startNode('main');
        await waitForLeader(pair.access, pair.servers, LEADER_TIMEOUT_MS, (leader) => leader.id === 'main');
      }),
    );
  } finally {
    admin.close();
  }
  const result = await loop.stop();
  const seats = await options.backend.seatsInUse();
  const seatsBackToZero = seats.seatsInUse === 0 && seats.holders === 0;
  say(`seats in use after: ${seats.seatsInUse} ${seatsBackToZero ? 'ok' : 'NOT ZERO'}\n`);
  return { round, steps, ops: result.ops, errorSamples: result.errorSamples, seatsBackToZero };
}

export function summarizeHandover(workstations: number, rounds: HandoverRound[]): HandoverSummary {
  const worst = {} as HandoverSummary['worst'];
  for (const name of STEP_NAMES) {
    const steps = rounds.flatMap((round) => round.steps.filter((step) => step.step === name));
    worst[name] = {
      maxGapMs: steps.reduce((highest, step) => Math.max(highest, step.gapMs), 0),
      errors: steps.reduce((sum, step) => sum + step.errors, 0),
    };
  }
  return { workstations, rounds, worst };
}

export function handoverLines(summary: HandoverSummary): string[] {
  const describe = (name: HandoverStepName) =>
    `${name}: worst gap ${summary.worst[name].maxGapMs} ms, ${summary.worst[name].errors} errors`;
  return [
    `handover (tandem, ${summary.workstations} ws spread, ${summary.rounds.length} round${summary.rounds.length === 1 ? '' : 's'}): ` +
      STEP_NAMES.map(describe).join('; '),
  ];
}
