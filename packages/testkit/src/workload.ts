// Continuous load through the client library, recording what was acknowledged and what failed,
// so that tests can check that nothing acknowledged was lost and nothing was counted twice. Each
// workstation proves who it is with its own certificate (tandem://workstation/load-<n>).
import { connect, type WorkstationClient } from '@tandem/client';
import type { TestPki } from './test-pki.js';

export interface LoadRecord {
  kind: 'usage' | 'lease';
  units: number;
  acknowledged: boolean;
  error: string | null;
  atMs: number;
}

export interface LoadOptions {
  servers: string[];
  /** The cluster's PKI, for each workstation's certificate; null for a cluster that runs insecure. */
  pki: TestPki | null;
  /** A licence with room for every workstation's lease. */
  leaseLicenceId: string;
  /** A licence without a quota that counts usage. */
  usageLicenceId: string;
  workstations: number;
  /** Pause between a workstation's operations. */
  pauseMs?: number;
  maxAttempts?: number;
}

export class ContinuousLoad {
  readonly records: LoadRecord[] = [];
  private running = true;
  private readonly clients: WorkstationClient[] = [];
  private readonly loops: Promise<void>[] = [];

  private constructor(private readonly options: LoadOptions) {}

  static async start(options: LoadOptions): Promise<ContinuousLoad> {
    const load = new ContinuousLoad(options);
    for (let position = 0; position < options.workstations; position += 1) {
      const workstationId = `load-${position}`;
      const settings = {
        requestTimeoutMs: 1000,
        maxAttempts: options.maxAttempts ?? 30,
        defaultTtlMs: 60_000,
      };
      const client = await connect(
        options.pki === null
          ? { servers: options.servers, workstationId, insecure: true, ...settings }
          : await options.pki.settings(options.servers, 'workstation', workstationId, settings),
      );
      load.clients.push(client);
      load.loops.push(load.loop(client, position));
    }
    return load;
  }

  private async loop(client: WorkstationClient, position: number): Promise<void> {
    let round = 0;
    while (this.running) {
      round += 1;
      const units = 1 + ((position + round) % 3);
      await this.record('usage', units, () => client.reportUsage(this.options.usageLicenceId, units));
      if (round % 3 === 0) {
        await this.record('lease', 0, async () => {
          const lease = await client.acquire(this.options.leaseLicenceId, { ttlMs: 60_000 });
          await lease.release();
        });
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs ?? 10));
    }
  }

  private async record(
    kind: LoadRecord['kind'],
    units: number,
    operation: () => Promise<unknown>,
  ): Promise<void> {
    const entry: LoadRecord = { kind, units, acknowledged: false, error: null, atMs: Date.now() };
    this.records.push(entry);
    try {
      await operation();
      entry.acknowledged = true;
    } catch (error) {
      entry.error = (error as Error).message;
    }
  }

  get acknowledged(): number {
    return this.records.filter((record) => record.acknowledged).length;
  }

  failures(sinceMs = 0): LoadRecord[] {
    return this.records.filter((record) => record.error !== null && record.atMs >= sinceMs);
  }

  acknowledgedUnits(): number {
    return this.records
      .filter((r) => r.kind === 'usage' && r.acknowledged)
      .reduce((sum, r) => sum + r.units, 0);
  }

  failedUnits(): number {
    return this.records
      .filter((r) => r.kind === 'usage' && r.error !== null)
      .reduce((sum, r) => sum + r.units, 0);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    for (const client of this.clients) client.close();
  }
}
