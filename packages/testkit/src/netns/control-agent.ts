// The test's hands inside the lab: a process in the control namespace that makes the admin calls
// the test process (in the root namespace, which cannot reach the lab) asks for. It reads one JSON
// request per line on stdin, `{ id, method, params }`, and answers each with one JSON line on
// stdout, `{ id, ok: true, value }` or `{ id, ok: false, error }`. It also watches who leads, by
// asking every node for its status every `--watch-ms`, for the one-leader-per-term check. Its
// credentials come from a JSON file (ControlAccess): an operator's certificate for the admin calls,
// and a workstation's ("probe") for the probes, as files under the lab's directory.
//
//   node control-agent.js <server,server,...> <watchIntervalMs> <access.json>
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { AdminClient, resolveSettings } from '@tandem/client';
import { waitForEqualState, waitForLeader } from '../cluster-checks.js';
import { call, type RawClients, rawClients } from '../raw-client.js';
import { waitForClusterId } from '../test-vendor.js';
import { type ControlAccess, PROBE_WORKSTATION_ID } from './netns-control.js';
import type { ObservedLeader } from './workload-record.js';

/** What one node answered a probe: an answer (with the term on it) or the gRPC error. */
export type ProbeOutcome =
  | { answered: true; term: number | null; summary: string }
  | { answered: false; code: number; details: string };

export interface ControlRequest {
  id: number;
  method: string;
  params: unknown[];
}

export type ControlReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string };

const MAX_OBSERVED_LEADERS = 200_000;
const servers = (process.argv[2] ?? '').split(',').filter((server) => server !== '');
const watchIntervalMs = Number(process.argv[3] ?? '200');
const accessFile = process.argv[4];
if (servers.length === 0 || !(watchIntervalMs >= 10) || accessFile === undefined) {
  console.error('usage: control-agent <server,server,...> <watchIntervalMs >= 10> <access.json>');
  process.exit(2);
}
const access = JSON.parse(readFileSync(accessFile, 'utf8')) as ControlAccess;

const admin = new AdminClient(
  resolveSettings({ ...access.admin, servers, requestTimeoutMs: 1000, maxAttempts: 30 }),
);
const statusAdmin = new AdminClient(
  resolveSettings({ ...access.admin, servers, requestTimeoutMs: 300, maxAttempts: 1 }),
);
const leaders: ObservedLeader[] = [];

async function watchLeaders(): Promise<void> {
  for (;;) {
    await Promise.all(
      servers.map(async (address) => {
        try {
          const status = await statusAdmin.nodeStatus(address);
          const self = status.nodes[0];
          if (self !== undefined && self.state === 'leader' && leaders.length < MAX_OBSERVED_LEADERS) {
            leaders.push({ term: self.term, leaderId: self.id, atMs: Date.now(), observer: 'control' });
          }
        } catch {
          // Down, cut off or busy: nothing to observe this round.
        }
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, watchIntervalMs));
  }
}

/**
 * Probe connections are kept per node: a probe sent to a paused process then travels on a
 * connection it already accepted, and waits in its socket for it to run again.
 */
const probeClients = new Map<string, RawClients>();

/**
 * One attempt at one node, no retry and no redirect: does this node serve? A write reports one
 * unit on `licenceId` (a licence the workloads never touch, so their usage checks stay exact);
 * a read asks for the licence.
 */
async function probeNode(
  address: string,
  kind: 'write' | 'read',
  licenceId: string,
  requestId: string,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  if (!servers.includes(address) && !probeClients.has(address) && probeClients.size >= 16) {
    throw new Error(`too many probe targets (${address})`);
  }
  let raw = probeClients.get(address);
  if (raw === undefined) {
    raw = rawClients(address, access.probe);
    probeClients.set(address, raw);
  }
  try {
    if (kind === 'write') {
      const response = await call(
        raw.workstation,
        raw.workstation.ReportUsage,
        { requestId, licenceId, workstationId: PROBE_WORKSTATION_ID, units: 1 },
        timeoutMs,
      );
      return { answered: true, term: response.header?.term ?? null, summary: `used ${response.used}` };
    }
    const response = await call(raw.workstation, raw.workstation.GetLicence, { licenceId }, timeoutMs);
    return {
      answered: true,
      term: response.header?.term ?? null,
      summary: `seats in use ${response.licence?.seatsInUse}`,
    };
  } catch (error) {
    const failure = error as { code?: number; details?: string; message: string };
    if (failure.code === undefined) throw error;
    return { answered: false, code: failure.code, details: failure.details ?? failure.message };
  }
}

const methods: Record<string, (...params: never[]) => Promise<unknown>> = {
  nodeStatus: (address: string) => statusAdmin.nodeStatus(address),
  verify: (address: string) => statusAdmin.verify(address),
  // The harness signs licence files with the test vendor's key; the agent only sends them.
  clusterId: () => waitForClusterId(admin),
  activateLicence: (licenceFile: string) => admin.activateLicence(licenceFile),
  getUsage: (licenceId: string) => admin.getUsage(licenceId),
  waitForLeader: async (addresses: string[], timeoutMs: number, acceptIds: string[] | null) =>
    waitForLeader(
      access.admin,
      addresses,
      timeoutMs,
      (leader) => acceptIds === null || acceptIds.includes(leader.id),
    ),
  waitForEqualState: (addresses: string[], timeoutMs: number) =>
    waitForEqualState(access.admin, addresses, timeoutMs),
  probe: (address: string, kind: 'write' | 'read', licenceId: string, requestId: string, timeoutMs: number) =>
    probeNode(address, kind, licenceId, requestId, timeoutMs),
  /** Every leader seen since the last call; the list is emptied. */
  takeLeaderObservations: async () => leaders.splice(0),
};

function reply(message: ControlReply): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function handle(line: string): Promise<void> {
  let request: ControlRequest;
  try {
    request = JSON.parse(line) as ControlRequest;
  } catch {
    console.error(`control agent: not JSON: ${line.slice(0, 200)}`);
    return;
  }
  const method = methods[request.method];
  if (method === undefined) {
    reply({ id: request.id, ok: false, error: `unknown method ${request.method}` });
    return;
  }
  try {
    const value = await (method as (...params: unknown[]) => Promise<unknown>)(...request.params);
    reply({ id: request.id, ok: true, value: value ?? null });
  } catch (error) {
    reply({ id: request.id, ok: false, error: (error as Error).message });
  }
}

void watchLeaders();
const input = createInterface({ input: process.stdin });
input.on('line', (line) => void handle(line));
// The test closing our stdin (or dying) is the signal to go.
input.on('close', () => {
  admin.close();
  statusAdmin.close();
  for (const raw of probeClients.values()) raw.close();
  process.exit(0);
});
