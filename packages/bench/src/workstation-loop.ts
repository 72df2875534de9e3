// The workstation loop: acquire a seat, then release it, as fast as the cluster answers, with a
// given number of concurrent workstations. Every acquire and every release counts as one op.
import { performance } from 'node:perf_hooks';
import { connect, RejectedError, type WorkstationClient } from '@tandem/client';
import { LatencyRecorder, type LatencySummary } from './latency.js';

export interface LoopOptions {
  servers: string[];
  licenceIds: string[];
  workstations: number;
  durationMs: number;
  /** A name for the workstation ids, so that runs do not share leases. */
  runName: string;
}

export interface LoopResult {
  workstations: number;
  durationMs: number;
  ops: number;
  opsPerSecond: number;
  acquired: number;
  denied: number;
  errors: number;
  latency: LatencySummary;
}

export async function runWorkstationLoop(options: LoopOptions): Promise<LoopResult> {
  const clients: WorkstationClient[] = await Promise.all(
    Array.from({ length: options.workstations }, (_, position) =>
      connect({
        servers: options.servers,
        workstationId: `${options.runName}-ws-${position}`,
        requestTimeoutMs: 10_000,
        defaultTtlMs: 60_000,
      }),
    ),
  );
  const latency = new LatencyRecorder();
  let ops = 0;
  let acquired = 0;
  let denied = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;

  const timed = async <T>(operation: () => Promise<T>): Promise<T> => {
    const begin = performance.now();
    try {
      return await operation();
    } finally {
      latency.recordMs(performance.now() - begin);
      ops += 1;
    }
  };

  await Promise.all(
    clients.map(async (client, position) => {
      const licenceId = options.licenceIds[position % options.licenceIds.length] as string;
      while (performance.now() < deadline) {
        try {
          const lease = await timed(() => client.acquire(licenceId));
          acquired += 1;
          await timed(() => lease.release());
        } catch (error) {
          if (error instanceof RejectedError) denied += 1;
          else errors += 1;
        }
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  for (const client of clients) client.close();
  return {
    workstations: options.workstations,
    durationMs: Math.round(elapsedMs),
    ops,
    opsPerSecond: Math.round((ops / elapsedMs) * 1000),
    acquired,
    denied,
    errors,
    latency: latency.summary(),
  };
}
