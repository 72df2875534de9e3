// The workload of a partition test, run as its own process inside a workstation namespace (the
// test itself runs in the root namespace, which cannot reach the lab). Each client loops: report
// usage; every third round acquire a seat and release it; between `contend` and `release` (lines
// on stdin) contend for the seats of a scarce licence (hold one for a while, release, ask again); and every few rounds
// send again a request it already sent, under the same request id, which must be answered with
// the first result (the client library's own retries of one call also keep the request id). Every
// invocation and completion goes into a HistoryRecorder with the ledger command it stands for, so
// the checkers can look the request up in the final ledgers. On SIGTERM, or after maxDurationMs,
// it lets operations in flight finish (briefly), writes the history as JSON and exits. Each client
// proves who it is with the certificate the spec names for it, as a deployed workstation does.
//
//   node workload-runner.js <spec.json>
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
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
if (!(spec.scarceHoldRounds >= 1 && spec.leaseTtlMs >= 1000 && spec.resendEveryRounds >= 0)) {
  console.error('scarceHoldRounds must be >= 1, leaseTtlMs >= 1000 and resendEveryRounds >= 0');
  process.exit(2);
}

const recorder = new HistoryRecorder();
const leaders: ObservedLeader[] = [];
const progress: WorkloadProgress = {
  acknowledged: 0,
  resent: 0,
  scarceHeld: 0,
  failed: 0,
  rejected: 0,
  inFlight: 0,
  atMs: Date.now(),
};
const startedAtMs = Date.now();
let running = true;

/** Runs one logical operation (all its retries share the request id) and records what came of it. */
async function perform(
  client: WorkstationClient,
  command: Command,
  call: (command: Command) => Promise<Result>,
): Promise<Result | null> {
  const id = recorder.invoke(client.workstationId, command, Date.now());
  progress.inFlight += 1;
  try {
    const result = await call(command);
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

/** The gRPC call a workload command stands for, on whichever node the client library picks. */
function send(client: WorkstationClient, command: Command): Promise<Result> {
  const service = (address: string) => client.connection.workstationService(address);
  switch (command.type) {
    case 'report_usage': {
      const request = {
        requestId: command.requestId,
        licenceId: command.licenceId,
        workstationId: command.workstationId,
        units: command.units,
      };
      return client.connection
        .call('ReportUsage', (address, callOptions) =>
          unaryCall<ReportUsageResponse__Output>((callback) =>
            service(address).ReportUsage(request, callOptions, callback),
          ),
        )
        .then((response) => ({
          ok: true,
          outcome: {
            kind: 'usage',
            licenceId: response.licenceId,
            periodStartMs: response.periodStartMs,
            used: response.used,
            remaining: response.remaining ?? null,
          },
        }));
    }
    case 'acquire_lease': {
      const request = {
        requestId: command.requestId,
        licenceId: command.licenceId,
        workstationId: command.workstationId,
        parameters: parametersToWire(command.parameters),
        ttlMs: command.ttlMs,
      };
      return client.connection
        .call('AcquireLease', (address, callOptions) =>
          unaryCall<LeaseResponse__Output>((callback) =>
            service(address).AcquireLease(request, callOptions, callback),
          ),
        )
        .then((response) => {
          if (response.lease === null) throw new Error('AcquireLease answered without a lease');
          return { ok: true, outcome: { kind: 'lease', lease: leaseFromWire(response.lease) } };
        });
    }
    case 'release_lease': {
      const request = { requestId: command.requestId, leaseId: command.leaseId };
      return client.connection
        .call('ReleaseLease', (address, callOptions) =>
          unaryCall<ReleaseLeaseResponse__Output>((callback) =>
            service(address).ReleaseLease(request, callOptions, callback),
          ),
        )
        .then((response) => {
          if (response.lease === null) throw new Error('ReleaseLease answered without a lease');
          return { ok: true, outcome: { kind: 'lease', lease: leaseFromWire(response.lease) } };
        });
    }
    default:
      throw new Error(`the workload does not send ${command.type}`);
  }
}

function usageCommand(client: WorkstationClient, requestId: string, units: number): Command {
  return {
    type: 'report_usage',
    requestId,
    licenceId: spec.usageLicenceId,
    workstationId: client.workstationId,
    units,
  };
}

function acquireCommand(client: WorkstationClient, requestId: string, licenceId: string): Command {
  return {
    type: 'acquire_lease',
    requestId,
    licenceId,
    workstationId: client.workstationId,
    parameters: PARAMETERS,
    ttlMs: spec.leaseTtlMs,
    // The server draws the nonce; the history records what the workstation asked.
    nonce: '',
  };
}

function leaseIdOf(result: Result | null): string | null {
  return result?.ok === true && result.outcome.kind === 'lease' ? result.outcome.lease.leaseId : null;
}

/**
 * The clients' stance on the scarce licence, set by the test on stdin: `contend` (fight over the
 * seats), `hold` (keep the seats held, ask for none and release none: so that a test can freeze who
 * holds what across a heal and a merge), `release` (release what is held, ask for none).
 */
let scarceStance: 'off' | 'contend' | 'hold' = 'off';
/** Clients holding a seat of the scarce licence now (one each at most). */
const scarceHolders = new Set<string>();

/** A seat of the scarce licence one client holds (or may hold: an unanswered release). */
interface ScarceSeat {
  leaseId: string;
  heldRounds: number;
}

/**
 * One client's turn at the scarce licence: while contending, hold a seat for scarceHoldRounds
 * rounds, release it, and ask again a round later; when contention stops, release what is held.
 * A refused acquire (no seat free, or overdrawn after a merge) is simply tried again later.
 */
async function scarceTurn(
  client: WorkstationClient,
  prefix: string,
  round: number,
  seat: ScarceSeat | null,
): Promise<ScarceSeat | null> {
  const licenceId = spec.scarceLicenceId;
  if (licenceId === null) return null;
  const contending = scarceStance === 'contend';
  if (scarceStance === 'hold') return seat;
  if (seat !== null) {
    if (contending && seat.heldRounds < spec.scarceHoldRounds)
      return { ...seat, heldRounds: seat.heldRounds + 1 };
    const released = await perform(
      client,
      { type: 'release_lease', requestId: `${prefix}.sr`, leaseId: seat.leaseId },
      (command) => send(client, command),
    );
    // An unanswered release may or may not have happened: keep the seat and release it again
    // (under a new request id; a lease already released is refused, which is fine).
    return released === null ? seat : null;
  }
  if (!contending || round % 2 !== 0) return null;
  const granted = await perform(client, acquireCommand(client, `${prefix}.sa`, licenceId), (command) =>
    send(client, command),
  );
  const leaseId = leaseIdOf(granted);
  return leaseId === null ? null : { leaseId, heldRounds: 0 };
}

async function loop(client: WorkstationClient, position: number): Promise<void> {
  let round = 0;
  let seat: ScarceSeat | null = null;
  /** Commands already sent, to send again as duplicates (usage, and the last acquire and release). */
  let lastUsage: Command | null = null;
  let lastLeaseCommands: Command[] = [];
  const sendCommand = (command: Command) => send(client, command);
  while (running) {
    round += 1;
    const prefix = `${client.workstationId}.${round}`;
    if (spec.resendEveryRounds > 0 && round % spec.resendEveryRounds === 0) {
      // The same request again, as a workstation whose answer was lost would send it: the
      // ledger must answer with the first result and change nothing.
      const duplicates = round % (2 * spec.resendEveryRounds) === 0 ? lastLeaseCommands : [lastUsage];
      for (const duplicate of duplicates) {
        if (duplicate === null || !running) continue;
        progress.resent += 1;
        await perform(client, duplicate, sendCommand);
      }
    }
    const usage = usageCommand(client, `${prefix}.u`, 1 + ((position + round) % 3));
    await perform(client, usage, sendCommand);
    lastUsage = usage;
    if (round % 3 === 0 && running) {
      const acquire = acquireCommand(client, `${prefix}.a`, spec.leaseLicenceId);
      const granted = await perform(client, acquire, sendCommand);
      lastLeaseCommands = [acquire];
      const leaseId = leaseIdOf(granted);
      if (leaseId !== null && running) {
        const release: Command = { type: 'release_lease', requestId: `${prefix}.r`, leaseId };
        await perform(client, release, sendCommand);
        lastLeaseCommands.push(release);
      }
    }
    if (running) seat = await scarceTurn(client, prefix, round, seat);
    if (seat === null) scarceHolders.delete(client.workstationId);
    else scarceHolders.add(client.workstationId);
    progress.scarceHeld = scarceHolders.size;
    await sleep(spec.pauseMs);
  }
}

const clients: WorkstationClient[] = [];
for (const workstationId of spec.workstationIds) {
  const access = spec.access[workstationId];
  if (access === undefined) {
    console.error(`no credentials for ${workstationId} in the spec`);
    process.exit(2);
  }
  const client = await connect({
    ...access,
    servers: spec.servers,
    workstationId,
    requestTimeoutMs: spec.requestTimeoutMs,
    maxAttempts: spec.maxAttempts,
    defaultTtlMs: spec.leaseTtlMs,
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
// The test's commands, one a line: `contend` starts the fight over the scarce licence, `hold`
// freezes it (seats held stay held), `release` ends it. stdin closing (the test gone) changes nothing: SIGTERM or maxDurationMs ends the run.
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'contend') scarceStance = 'contend';
  else if (line === 'hold') scarceStance = 'hold';
  else if (line === 'release') scarceStance = 'off';
  else console.error(`workload runner: unknown command ${JSON.stringify(line.slice(0, 100))}`);
});
process.on('SIGINT', () => void stop());
setTimeout(() => void stop(), spec.maxDurationMs).unref();
