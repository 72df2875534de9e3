// Main and backup as real tandemd processes, each inside its own namespace of a NetnsLab, listening
// on the lab address of its namespace. The same port everywhere: each namespace has its own ports.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { TandemdProcess } from '../tandemd-process.js';
import type { NetnsLab } from './netns-lab.js';

export type NetnsDataRole = 'main' | 'backup';

export const NETNS_TANDEMD_PORT = 7400;

export interface NetnsPairOptions {
  lab: NetnsLab;
  /** main/ and backup/ data directories are made under it. */
  directory: string;
  /** Deep-merged into both nodes' configuration (timing, limits, ledger, snapshot, log). */
  overrides?: Record<string, unknown>;
  echo?: NodeJS.WritableStream;
}

export class NetnsPair {
  private readonly nodes = new Map<NetnsDataRole, TandemdProcess | null>();

  private constructor(readonly options: NetnsPairOptions) {}

  static async start(options: NetnsPairOptions): Promise<NetnsPair> {
    const pair = new NetnsPair(options);
    try {
      await Promise.all([pair.startNode('main'), pair.startNode('backup')]);
    } catch (error) {
      await pair.kill();
      throw error;
    }
    return pair;
  }

  address(role: NetnsDataRole): string {
    return `${this.options.lab.address(role)}:${NETNS_TANDEMD_PORT}`;
  }

  /** Both addresses, main first, as workstations list them. */
  get servers(): string[] {
    return [this.address('main'), this.address('backup')];
  }

  dataDirectory(role: NetnsDataRole): string {
    return path.join(this.options.directory, role);
  }

  node(role: NetnsDataRole): TandemdProcess {
    const node = this.nodes.get(role);
    if (node === undefined || node === null) throw new Error(`${role} is not running`);
    return node;
  }

  isRunning(role: NetnsDataRole): boolean {
    return (this.nodes.get(role) ?? null) !== null;
  }

  /** Starts (or restarts, on the same data directory) one node inside its namespace. */
  async startNode(role: NetnsDataRole): Promise<TandemdProcess> {
    if (this.isRunning(role)) throw new Error(`${role} is already running`);
    const { lab } = this.options;
    const dataDir = this.dataDirectory(role);
    await mkdir(dataDir, { recursive: true });
    const node = await TandemdProcess.start({
      id: role,
      role,
      dataDir,
      host: lab.address(role),
      port: NETNS_TANDEMD_PORT,
      commandPrefix: lab.commandPrefix(role),
      ...(this.options.echo === undefined ? {} : { echo: this.options.echo }),
      overrides: {
        ...(this.options.overrides ?? {}),
        cluster: {
          mode: 'pair',
          nodes: [
            { id: 'main', role: 'main', address: this.address('main') },
            { id: 'backup', role: 'backup', address: this.address('backup') },
          ],
        },
      },
    });
    this.nodes.set(role, node);
    return node;
  }

  /** kill -9 one node, or both. */
  async kill(role?: NetnsDataRole): Promise<void> {
    const roles = role === undefined ? (['main', 'backup'] as const) : [role];
    await Promise.all(
      roles
        .filter((each) => this.isRunning(each))
        .map(async (each) => {
          await this.node(each).kill();
          this.nodes.set(each, null);
        }),
    );
  }

  /** SIGTERM both (or one) and wait for a clean exit, so their data directories can be read. */
  async stop(role?: NetnsDataRole): Promise<void> {
    const roles = role === undefined ? (['main', 'backup'] as const) : [role];
    await Promise.all(
      roles
        .filter((each) => this.isRunning(each))
        .map(async (each) => {
          await this.node(each).stop();
          this.nodes.set(each, null);
        }),
    );
  }
}
