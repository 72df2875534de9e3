// A main + backup pair of real tandemd processes on 127.0.0.1 for cluster tests, the demo and the
// benchmarks. Ports are chosen before either starts, because each node must know the other's address.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from './ports.js';
import { TandemdProcess } from './tandemd-process.js';

export interface PairOptions {
  /** A directory under which main/ and backup/ data directories are made. */
  directory: string;
  /** Deep-merged into both nodes' configuration (timing, limits, snapshot, log...). */
  overrides?: Record<string, unknown>;
  echo?: NodeJS.WritableStream;
  /** The nodes' ports; free ports by default. */
  ports?: Record<PairRole, number>;
  /**
   * The address the other node uses to reach a node (a FaultProxy in front of it, so that tests
   * can cut the link between the nodes while workstations still reach both directly).
   */
  peerAddresses?: Partial<Record<PairRole, string>>;
}

export type PairRole = 'main' | 'backup';

export class TandemdPair {
  private readonly nodes = new Map<PairRole, TandemdProcess | null>();

  private constructor(
    readonly options: PairOptions,
    readonly ports: Record<PairRole, number>,
  ) {}

  static async start(options: PairOptions): Promise<TandemdPair> {
    const ports = options.ports ?? { main: await freePort(), backup: await freePort() };
    const pair = new TandemdPair(options, ports);
    await Promise.all([pair.startNode('main'), pair.startNode('backup')]);
    return pair;
  }

  address(role: PairRole): string {
    return `127.0.0.1:${this.ports[role]}`;
  }

  /** Both addresses, main first, as workstations list them. */
  get servers(): string[] {
    return [this.address('main'), this.address('backup')];
  }

  node(role: PairRole): TandemdProcess {
    const node = this.nodes.get(role);
    if (node === undefined || node === null) throw new Error(`${role} is not running`);
    return node;
  }

  isRunning(role: PairRole): boolean {
    return (this.nodes.get(role) ?? null) !== null;
  }

  async startNode(role: PairRole): Promise<TandemdProcess> {
    const dataDir = path.join(this.options.directory, role);
    await mkdir(dataDir, { recursive: true });
    const node = await TandemdProcess.start({
      id: role,
      role,
      dataDir,
      port: this.ports[role],
      ...(this.options.echo === undefined ? {} : { echo: this.options.echo }),
      overrides: {
        ...(this.options.overrides ?? {}),
        cluster: {
          mode: 'pair',
          nodes: (['main', 'backup'] as const).map((member) => ({
            id: member,
            role: member,
            address:
              member === role
                ? this.address(member)
                : (this.options.peerAddresses?.[member] ?? this.address(member)),
          })),
        },
      },
    });
    this.nodes.set(role, node);
    return node;
  }

  /** kill -9 one node. */
  async kill(role: PairRole): Promise<void> {
    await this.node(role).kill();
    this.nodes.set(role, null);
  }

  async stopNode(role: PairRole): Promise<void> {
    await this.node(role).stop();
    this.nodes.set(role, null);
  }

  async stop(): Promise<void> {
    await Promise.all(
      (['main', 'backup'] as const).filter((role) => this.isRunning(role)).map((role) => this.stopNode(role)),
    );
  }
}
