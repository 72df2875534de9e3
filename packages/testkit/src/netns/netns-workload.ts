// The test's handle on a workload runner in a workstation namespace: starts it, follows its
// progress lines, and on stop() collects the history it wrote.
import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repositoryRoot } from '../paths.js';
import { INSECURE_ACCESS, type TestPki } from '../test-pki.js';
import type { LabHost, NetnsLab } from './netns-lab.js';
import {
  decodeWorkloadHistory,
  WORKLOAD_DRAIN_MS,
  type WorkloadHistory,
  type WorkloadProgress,
  type WorkloadSpec,
} from './workload-record.js';

export interface NetnsWorkloadOptions {
  servers: string[];
  /** The cluster's PKI: each client gets a certificate of its own. null: the cluster runs insecure. */
  pki: TestPki | null;
  /** How many clients this workstation namespace runs; 1..32, default 3. */
  clients?: number;
  usageLicenceId: string;
  leaseLicenceId: string;
  /** A licence with fewer seats than clients, contended for between contend() and stopContending(). */
  scarceLicenceId?: string;
  /** Rounds a client holds a scarce seat before it releases it; default 60. */
  scarceHoldRounds?: number;
  /** Default 30 minutes: no lease expires during a case (the linearizability model has no expiry). */
  leaseTtlMs?: number;
  /** Send a duplicate of an earlier request every this many rounds; default 5, 0 never. */
  resendEveryRounds?: number;
  /** A directory for the spec and history files. */
  directory: string;
  pauseMs?: number;
  requestTimeoutMs?: number;
  maxAttempts?: number;
  /** A safety net: the runner stops itself after this long. Default 10 minutes. */
  maxDurationMs?: number;
}

const STOP_TIMEOUT_MS = WORKLOAD_DRAIN_MS + 10_000;

/** The compiled runner; `pnpm build` must have run, as for tandemd. */
export function workloadRunnerEntry(): string {
  return path.join(repositoryRoot(), 'packages/testkit/dist/src/netns/workload-runner.js');
}

export class NetnsWorkload {
  /** The latest progress line; zeros until the first arrives. */
  progress: WorkloadProgress = {
    acknowledged: 0,
    resent: 0,
    scarceHeld: 0,
    failed: 0,
    rejected: 0,
    inFlight: 0,
    atMs: 0,
  };
  private readonly stderr: string[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly host: LabHost,
    readonly spec: WorkloadSpec,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
        try {
          this.progress = JSON.parse(line) as WorkloadProgress;
        } catch {
          // Not a progress line.
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 1000) this.stderr.push(chunk.toString('utf8'));
    });
  }

  static async start(lab: NetnsLab, host: LabHost, options: NetnsWorkloadOptions): Promise<NetnsWorkload> {
    const clients = options.clients ?? 3;
    const workstationIds = Array.from({ length: clients }, (_, position) => `${host}-c${position + 1}`);
    const { pki } = options;
    const access = Object.fromEntries(
      await Promise.all(
        workstationIds.map(async (id) => [
          id,
          pki === null ? INSECURE_ACCESS : await pki.access('workstation', id),
        ]),
      ),
    );
    const spec: WorkloadSpec = {
      servers: options.servers,
      workstationIds,
      access,
      usageLicenceId: options.usageLicenceId,
      leaseLicenceId: options.leaseLicenceId,
      scarceLicenceId: options.scarceLicenceId ?? null,
      scarceHoldRounds: options.scarceHoldRounds ?? 60,
      leaseTtlMs: options.leaseTtlMs ?? 30 * 60_000,
      resendEveryRounds: options.resendEveryRounds ?? 5,
      pauseMs: options.pauseMs ?? 20,
      requestTimeoutMs: options.requestTimeoutMs ?? 1000,
      maxAttempts: options.maxAttempts ?? 30,
      maxDurationMs: options.maxDurationMs ?? 600_000,
      outputFile: path.join(options.directory, `${host}-history.json`),
      progressIntervalMs: 200,
    };
    const specFile = path.join(options.directory, `${host}-workload.json`);
    await writeFile(specFile, JSON.stringify(spec));
    const child = lab.spawn(host, [process.execPath, workloadRunnerEntry(), specFile], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new NetnsWorkload(host, spec, child);
  }

  /** Resolves once the runner has acknowledged at least `count` operations in all. */
  async waitForAcknowledged(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.progress.acknowledged < count) {
      if (this.child.exitCode !== null)
        throw new Error(`the workload in ${this.host} exited: ${this.stderr.join('')}`);
      if (Date.now() > deadline) {
        throw new Error(
          `the workload in ${this.host} acknowledged ${this.progress.acknowledged} of ${count} operations within ${timeoutMs} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The clients start contending for the scarce licence's seats. */
  contend(): void {
    this.command('contend');
  }

  /** The clients keep the scarce seats they hold and ask for no more (until contend() or stopContending()). */
  holdSeats(): void {
    this.command('hold');
  }

  /** The clients stop contending and release the scarce seats they hold. */
  stopContending(): void {
    this.command('release');
  }

  /** One line on the runner's stdin (Node keeps SIGUSR1 for its debugger, so no signals). */
  private command(line: 'contend' | 'hold' | 'release'): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null)
      throw new Error(`the workload in ${this.host} is not running`);
    this.child.stdin?.write(`${line}\n`);
  }

  /** SIGTERM, then the history the runner wrote. */
  async stop(): Promise<WorkloadHistory> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await this.exited;
    clearTimeout(timer);
    if (code !== 0) {
      throw new Error(
        `the workload in ${this.host} exited with ${code}: ${this.stderr.join('').slice(0, 4000)}`,
      );
    }
    return decodeWorkloadHistory(await readFile(this.spec.outputFile, 'utf8'));
  }
}
