// The workload of a partition test, run as its own process inside a workstation namespace (the
// test itself runs in the root namespace, which cannot reach the lab). Each client loops: report
// usage, and every third round acquire a seat and release it. Every invocation and completion goes
// into a HistoryRecorder with the ledger command it stands for, under a request id chosen here, so
// the checkers can look the request up in the final ledgers. On SIGTERM, or after maxDurationMs,
// it lets operations in flight finish (briefly), writes the history as JSON and exits.
//
//   node workload-runner.js <spec.json>
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, NotFoundError, RejectedError, unaryCall, type WorkstationClient } from '@tandem/client';
import type { Command, RejectionReason, Result, WorkstationParameters } from '@tandem/ledger';
import type {
  LeaseResponse__Output,
  ReleaseLeaseResponse__Output,
  ReportUsageResponse__Output,
} from '@tandem/wire';
import { leaseFromWire, parametersToWire } from '@tandem/wire';
import { HistoryRecorder } from '../history-checker/history.js';
import {
  encodeWorkloadHistory,
  MAX_WORKLOAD_CLIENTS,
  type ObservedLeader,
  WORKLOAD_DRAIN_MS,
  type WorkloadProgress,
  type WorkloadSpec,
} from './workload-record.js';

const LEASE_TTL_MS = 60_000;
const MAX_OBSERVED_LEADERS = 100_000;
const PARAMETERS: WorkstationParameters = {
  host: 'netns-lab',
  user: 'tandem',
  cores: 1,
  productVersion: 'lab',
};

const specFile = process.argv[2];
if (specFile === undefined) {
  console.error('usage: workload-runner <spec.json>');
  process.exit(2);
}
const spec = JSON.parse(readFileSync(specFile, 'utf8')) as WorkloadSpec;
if (spec.workstationIds.length < 1 || spec.workstationIds.length > MAX_WORKLOAD_CLIENTS) {
  console.error(`workstationIds must hold 1..${MAX_WORKLOAD_CLIENTS} ids`);
  process.exit(2);
}

const recorder = new HistoryRecorder();
const leaders: ObservedLeader[] = [];
const progress: WorkloadProgress = { acknowledged: 0, failed: 0, rejected: 0, inFlight: 0, atMs: Date.now() };
const startedAtMs = Date.now();
let running = true;

/** Runs one logical operation (all its retries share the request id) and records what came of it. */
async function perform(
  client: WorkstationClient,
  command: Command,
  call: () => Promise<Result>,
): Promise<Result | null> {
  const id = recorder.invoke(client.workstationId, command, Date.now());
  progress.inFlight += 1;
  try {
    const result = await call();
    recorder.complete(id, result, Date.now());
    progress.acknowledged += 1;
    return result;
  } catch (error) {
    const rejection = ledgerRejection(error);
    if (rejection !== null) {
      recorder.complete(id, rejection, Date.now());
      progress.rejected += 1;
      return rejection;
    }
    recorder.fail(id, (error as Error).message, Date.now());
    progress.failed += 1;
    return null;
  } finally {
    progress.inFlight -= 1;
  }
}

/**
 * A replicated rejection is a known outcome; the edge sends it as `<reason>: <ledger message>`.
 * Anything else (a pre-check, a transport failure) is unknown: it may or may not have applied.
 */
function ledgerRejection(error: unknown): Result | null {
  if (!(error instanceof RejectedError || error instanceof NotFoundError)) return null;
  const reason = error.reason;
  if (reason === null || !error.message.startsWith(`${reason}: `)) return null;
  return { ok: false, reason: reason as RejectionReason, message: error.message.slice(reason.length + 2) };
}

async function reportUsage(
  client: WorkstationClient,
  requestId: string,
  units: number,
): Promise<Result | null> {
  const command: Command = {
    type: 'report_usage',
    requestId,
    licenceId: spec.usageLicenceId,
    workstationId: client.workstationId,
    units,
  };
  const request = { requestId, licenceId: spec.usageLicenceId, workstationId: client.workstationId, units };
  return perform(client, command, async () => {
    const response = await client.connection.call('ReportUsage', (address, callOptions) =>
      unaryCall<ReportUsageResponse__Output>((callback) =>
        client.connection.workstationService(address).ReportUsage(request, callOptions, callback),
      ),
    );
    return {
      ok: true,
      outcome: {
        kind: 'usage',
        licenceId: response.licenceId,
        periodStartMs: response.periodStartMs,
        used: response.used,
        remaining: response.remaining ?? null,
      },
    };
  });
}

async function acquire(client: WorkstationClient, requestId: string): Promise<Result | null> {
  const command: Command = {
    type: 'acquire_lease',
    requestId,
    licenceId: spec.leaseLicenceId,
    workstationId: client.workstationId,
    parameters: PARAMETERS,
    ttlMs: LEASE_TTL_MS,
  };
  const request = {
    requestId,
    licenceId: spec.leaseLicenceId,
    workstationId: client.workstationId,
    parameters: parametersToWire(PARAMETERS),
    ttlMs: LEASE_TTL_MS,
  };
  return perform(client, command, async () => {
    const response = await client.connection.call('AcquireLease', (address, callOptions) =>
      unaryCall<LeaseResponse__Output>((callback) =>
        client.connection.workstationService(address).AcquireLease(request, callOptions, callback),
      ),
    );
    if (response.lease === null) throw new Error('AcquireLease answered without a lease');
    return { ok: true, outcome: { kind: 'lease', lease: leaseFromWire(response.lease) } };
  });
}

async function release(
  client: WorkstationClient,
  requestId: string,
  leaseId: string,
): Promise<Result | null> {
  const command: Command = { type: 'release_lease', requestId, leaseId };
  return perform(client, command, async () => {
    const response = await client.connection.call('ReleaseLease', (address, callOptions) =>
      unaryCall<ReleaseLeaseResponse__Output>((callback) =>
        client.connection
          .workstationService(address)
          .ReleaseLease({ requestId, leaseId }, callOptions, callback),
      ),
    );
    if (response.lease === null) throw new Error('ReleaseLease answered without a lease');
    return { ok: true, outcome: { kind: 'lease', lease: leaseFromWire(response.lease) } };
  });
}

async function loop(client: WorkstationClient, position: number): Promise<void> {
  let round = 0;
  while (running) {
    round += 1;
    const prefix = `${client.workstationId}.${round}`;
    await reportUsage(client, `${prefix}.u`, 1 + ((position + round) % 3));
    if (round % 3 === 0 && running) {
      const granted = await acquire(client, `${prefix}.a`);
      if (granted?.ok === true && granted.outcome.kind === 'lease') {
        await release(client, `${prefix}.r`, granted.outcome.lease.leaseId);
      }
    }
    await sleep(spec.pauseMs);
  }
}

const clients: WorkstationClient[] = [];
for (const workstationId of spec.workstationIds) {
  const client = await connect({
    servers: spec.servers,
    workstationId,
    requestTimeoutMs: spec.requestTimeoutMs,
    maxAttempts: spec.maxAttempts,
    defaultTtlMs: LEASE_TTL_MS,
  });
  client.on('leader-changed', (leader: { leaderId: string; term: number }) => {
    if (leaders.length < MAX_OBSERVED_LEADERS) {
      leaders.push({
        term: leader.term,
        leaderId: leader.leaderId,
        atMs: Date.now(),
        observer: workstationId,
      });
    }
  });
  clients.push(client);
}
const loops = clients.map((client, position) => loop(client, position));

const progressTimer = setInterval(() => {
  progress.atMs = Date.now();
  process.stdout.write(`${JSON.stringify(progress)}\n`);
}, spec.progressIntervalMs);

let stopping: Promise<void> | null = null;
function stop(): Promise<void> {
  stopping ??= (async () => {
    running = false;
    await Promise.race([Promise.all(loops), sleep(WORKLOAD_DRAIN_MS)]);
    clearInterval(progressTimer);
    writeFileSync(
      spec.outputFile,
      encodeWorkloadHistory({
        workstationIds: spec.workstationIds,
        startedAtMs,
        stoppedAtMs: Date.now(),
        operations: recorder.operations(),
        leaders,
      }),
    );
    for (const client of clients) client.close();
    process.stdout.write(`${JSON.stringify({ ...progress, atMs: Date.now(), done: true })}\n`);
    process.exit(0);
  })();
  return stopping;
}

process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
setTimeout(() => void stop(), spec.maxDurationMs).unref();
