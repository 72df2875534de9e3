// A main + backup pair of real tandemd processes on 127.0.0.1 for cluster tests, the demo and the
// benchmarks. Ports are chosen before either starts, because each node must know the other's address.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ClientSettingsInput } from '@tandem/client';
import type { EntryBuild } from './paths.js';
import { freePort } from './ports.js';
import { TandemdProcess } from './tandemd-process.js';
import { type ClientRole, type ClusterAccess, INSECURE_ACCESS, pkiDirectory, TestPki } from './test-pki.js';

export interface PairOptions {
  /** A directory under which main/ and backup/ data directories are made. */
  directory: string;
  /** Deep-merged into both nodes' configuration (timing, limits, snapshot, log...). */
  overrides?: Record<string, unknown>;
  echo?: NodeJS.WritableStream;
  /** The nodes' client ports; free ports by default. */
  ports?: Record<PairRole, number>;
  /** The nodes' peer ports (PeerService); free ports by default. */
  peerPorts?: Record<PairRole, number>;
  /** The nodes' HTTP ports (the web console), listed in cluster.nodes too; free ports by default. */
  httpPorts?: Record<PairRole, number>;
  /**
   * The address the other node uses to reach a node's peer port (a FaultProxy in front of it, so
   * that tests can cut the link between the nodes while workstations still reach both directly).
   */
  peerAddresses?: Partial<Record<PairRole, string>>;
  /** The PKI to use; a new one under directory/pki by default. */
  pki?: TestPki;
  /** Plaintext, no authentication (insecure: true): only for tests of that mode. */
  insecure?: boolean;
  /** How long each node may take to listen (TandemdProcess's startTimeoutMs). */
  startTimeoutMs?: number;
  /** Node's own options for each node, before tandemd's entry (the benchmark's `--cpu-prof`). */
  nodeArguments?: Partial<Record<PairRole, string[]>>;
  /** Which build of tandemd the nodes run (TandemdProcess's entry). */
  entry?: EntryBuild;
}

export type PairRole = 'main' | 'backup';

export class TandemdPair {
  private readonly nodes = new Map<PairRole, TandemdProcess | null>();

  private constructor(
    readonly options: PairOptions,
    readonly ports: Record<PairRole, number>,
    readonly peerPorts: Record<PairRole, number>,
    readonly httpPorts: Record<PairRole, number>,
    /** null for an insecure pair. */
    readonly pki: TestPki | null,
  ) {}

  static async start(options: PairOptions): Promise<TandemdPair> {
    const ports = options.ports ?? { main: await freePort(), backup: await freePort() };
    const peerPorts = options.peerPorts ?? { main: await freePort(), backup: await freePort() };
    const httpPorts = options.httpPorts ?? { main: await freePort(), backup: await freePort() };
    const pki =
      options.insecure === true
        ? null
        : (options.pki ?? (await TestPki.create(pkiDirectory(options.directory))));
    const pair = new TandemdPair(options, ports, peerPorts, httpPorts, pki);
    await Promise.all([pair.startNode('main'), pair.startNode('backup')]);
    return pair;
  }

  /** The PKI; throws for an insecure pair. */
  requirePki(): TestPki {
    if (this.pki === null) throw new Error('this pair runs insecure: it has no PKI');
    return this.pki;
  }

  /** An admin's credentials for test helpers (waitForLeader, rawClients...). */
  get access(): ClusterAccess {
    return this.pki?.admin ?? INSECURE_ACCESS;
  }

  /** A node's peer port address (without any proxy). */
  peerAddress(role: PairRole): string {
    return `127.0.0.1:${this.peerPorts[role]}`;
  }

  /** Client settings for a role's certificate (admin by default); see TestPki.settings. */
  settings(role: ClientRole = 'admin', name: string = role, extra: Partial<ClientSettingsInput> = {}) {
    if (this.pki === null) return Promise.resolve({ servers: this.servers, insecure: true, ...extra });
    return this.pki.settings(this.servers, role, name, extra);
  }

  /** tandemctl's --servers and credential flags for a role (admin by default). */
  async tandemctlArgs(role: ClientRole = 'admin', name: string = role): Promise<string[]> {
    const credentials = this.pki === null ? ['--insecure'] : await this.pki.tandemctlArgs(role, name);
    return ['--servers', this.servers.join(','), ...credentials];
  }

  /** A node's HTTP port (the web console), e.g. 127.0.0.1:41234. */
  httpAddress(role: PairRole): string {
    return `127.0.0.1:${this.httpPorts[role]}`;
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
      ...(this.pki === null ? { insecure: true } : { pki: this.pki }),
      ...(this.options.echo === undefined ? {} : { echo: this.options.echo }),
      ...(this.options.startTimeoutMs === undefined ? {} : { startTimeoutMs: this.options.startTimeoutMs }),
      ...(this.options.nodeArguments?.[role] === undefined
        ? {}
        : { nodeArguments: this.options.nodeArguments[role] }),
      ...(this.options.entry === undefined ? {} : { entry: this.options.entry }),
      overrides: {
        ...(this.options.overrides ?? {}),
        node: { peerListen: this.peerAddress(role), httpListen: this.httpAddress(role) },
        cluster: {
          mode: 'pair',
          nodes: (['main', 'backup'] as const).map((member) => ({
            id: member,
            role: member,
            address: this.address(member),
            peerAddress:
              member === role
                ? this.peerAddress(member)
                : (this.options.peerAddresses?.[member] ?? this.peerAddress(member)),
            httpAddress: this.httpAddress(member),
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
