// The test's handle on the control agent: admin calls into the lab, typed like the AdminClient and
// the cluster checks they stand for.
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClusterStatus, LicenceView, UsageSummary, VerifyResult } from '@tandem/client';
import type { LeaderView, VerifiedNode } from '../cluster-checks.js';
import { repositoryRoot } from '../paths.js';
import { type ClusterAccess, INSECURE_ACCESS, type TestPki } from '../test-pki.js';
import { signTestLicence } from '../test-vendor.js';
// Types only: control-agent.ts is the agent's entry script, which runs when imported.
import type { ControlReply, ProbeOutcome } from './control-agent.js';
import type { NetnsLab } from './netns-lab.js';
import type { ObservedLeader } from './workload-record.js';

export type { ProbeOutcome } from './control-agent.js';

/** The agent's credentials: admin calls as an operator, probes as the workstation "probe". */
export interface ControlAccess {
  admin: ClusterAccess;
  probe: ClusterAccess;
}

/** The workstation id of the probes (its certificate names it). */
export const PROBE_WORKSTATION_ID = 'probe';

export interface NetnsControlOptions {
  /** The cluster's PKI (the agent gets an operator's and the probe workstation's certificates); null: insecure. */
  pki: TestPki | null;
  /** Where the agent's access file is written (the lab's directory). */
  directory: string;
  /** How often the agent asks every node who leads. */
  watchIntervalMs?: number;
}

/** A reply that does not come within the call's own timeout plus this is a stuck agent. */
const REPLY_MARGIN_MS = 10_000;
const DEFAULT_CALL_TIMEOUT_MS = 30_000;
const MAX_PENDING_CALLS = 1000;

export function controlAgentEntry(): string {
  return path.join(repositoryRoot(), 'packages/testkit/dist/src/netns/control-agent.js');
}

interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class NetnsControl {
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private readonly stderr: string[] = [];

  private constructor(
    readonly servers: string[],
    private readonly child: ChildProcess,
  ) {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        this.onReply(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 1000) this.stderr.push(chunk.toString('utf8'));
    });
    child.once('exit', (code) => {
      for (const call of this.pending.values()) {
        clearTimeout(call.timer);
        call.reject(new Error(`the control agent exited (${code}): ${this.stderr.join('').slice(0, 2000)}`));
      }
      this.pending.clear();
    });
  }

  /** Starts the agent in the lab's control namespace, watching `servers` every watchIntervalMs. */
  static async start(lab: NetnsLab, servers: string[], options: NetnsControlOptions): Promise<NetnsControl> {
    const { pki } = options;
    const access: ControlAccess =
      pki === null
        ? { admin: INSECURE_ACCESS, probe: INSECURE_ACCESS }
        : { admin: await pki.access('admin'), probe: await pki.access('workstation', PROBE_WORKSTATION_ID) };
    const accessFile = path.join(options.directory, 'control-access.json');
    await writeFile(accessFile, JSON.stringify(access));
    const child = lab.spawn(
      'control',
      [
        process.execPath,
        controlAgentEntry(),
        servers.join(','),
        String(options.watchIntervalMs ?? 200),
        accessFile,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    return new NetnsControl(servers, child);
  }

  nodeStatus(address: string): Promise<ClusterStatus> {
    return this.call('nodeStatus', [address]) as Promise<ClusterStatus>;
  }

  verify(address: string): Promise<VerifyResult> {
    return this.call('verify', [address]) as Promise<VerifyResult>;
  }

  /** Activates a licence file the test vendor signs here for the cluster id the agent reads. */
  async activateLicence(spec: {
    licenceId: string;
    product: string;
    seats: number;
    redundancy?: boolean;
  }): Promise<LicenceView> {
    const clusterId = (await this.call('clusterId', [])) as string;
    return this.call('activateLicence', [signTestLicence(spec, clusterId)]) as Promise<LicenceView>;
  }

  getUsage(licenceId: string): Promise<UsageSummary> {
    return this.call('getUsage', [licenceId]) as Promise<UsageSummary>;
  }

  /** The first node among `addresses` that says it leads (and, if given, is one of acceptIds). */
  waitForLeader(
    addresses: string[],
    timeoutMs: number,
    acceptIds: string[] | null = null,
  ): Promise<LeaderView> {
    return this.call('waitForLeader', [addresses, timeoutMs, acceptIds], timeoutMs) as Promise<LeaderView>;
  }

  waitForEqualState(addresses: string[], timeoutMs: number): Promise<VerifiedNode[]> {
    return this.call('waitForEqualState', [addresses, timeoutMs], timeoutMs) as Promise<VerifiedNode[]>;
  }

  /**
   * One attempt at one node (no retry, no redirect): a write of one usage unit on `licenceId`, or a
   * read of that licence. Resolves with the answer or the gRPC error; never throws for a refusal.
   */
  probe(
    address: string,
    kind: 'write' | 'read',
    licenceId: string,
    requestId: string,
    timeoutMs = 2000,
  ): Promise<ProbeOutcome> {
    return this.call(
      'probe',
      [address, kind, licenceId, requestId, timeoutMs],
      timeoutMs,
    ) as Promise<ProbeOutcome>;
  }

  /** Leaders the agent saw since the previous call. */
  takeLeaderObservations(): Promise<ObservedLeader[]> {
    return this.call('takeLeaderObservations', []) as Promise<ObservedLeader[]>;
  }

  /** Closes the agent's stdin, which makes it exit. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private call(method: string, params: unknown[], timeoutMs = DEFAULT_CALL_TIMEOUT_MS): Promise<unknown> {
    if (this.pending.size >= MAX_PENDING_CALLS)
      throw new Error(`more than ${MAX_PENDING_CALLS} control calls pending`);
    if (this.child.exitCode !== null) return Promise.reject(new Error('the control agent is not running'));
    const id = this.nextId;
    this.nextId += 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`control call ${method} got no reply within ${timeoutMs + REPLY_MARGIN_MS} ms`));
      }, timeoutMs + REPLY_MARGIN_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.child.stdin?.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }

  private onReply(line: string): void {
    let message: ControlReply;
    try {
      message = JSON.parse(line) as ControlReply;
    } catch {
      return;
    }
    const call = this.pending.get(message.id);
    if (call === undefined) return;
    this.pending.delete(message.id);
    clearTimeout(call.timer);
    if (message.ok) call.resolve(message.value);
    else call.reject(new Error(message.error));
  }
}
