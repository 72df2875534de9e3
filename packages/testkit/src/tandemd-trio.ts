// Main, backup and witness as real tandemd processes on 127.0.0.1 (witness mode), for cluster
// tests. Ports are chosen before any node starts, because each node must know the others' addresses.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ClientSettingsInput } from '@tandem/client';
import { freePort } from './ports.js';
import { TandemdProcess } from './tandemd-process.js';
import { type ClientRole, type ClusterAccess, pkiDirectory, TestPki } from './test-pki.js';

export interface TrioOptions {
  /** A directory under which main/, backup/ and witness/ data directories are made. */
  directory: string;
  /** Deep-merged into every node's configuration (timing, limits, snapshot, log...). */
  overrides?: Record<string, unknown>;
  echo?: NodeJS.WritableStream;
  /** The PKI to use; a new one under directory/pki by default. */
  pki?: TestPki;
}

export type TrioRole = 'main' | 'backup' | 'witness';

export const TRIO_ROLES: readonly TrioRole[] = ['main', 'backup', 'witness'];

export class TandemdTrio {
  private readonly nodes = new Map<TrioRole, TandemdProcess | null>();

  private constructor(
    readonly options: TrioOptions,
    readonly ports: Record<TrioRole, number>,
    /** The data nodes' peer ports (the witness has one port). */
    readonly peerPorts: Record<Exclude<TrioRole, 'witness'>, number>,
    readonly pki: TestPki,
  ) {}

  /** Starts the three nodes together. */
  static async start(options: TrioOptions): Promise<TandemdTrio> {
    const ports = { main: await freePort(), backup: await freePort(), witness: await freePort() };
    const peerPorts = { main: await freePort(), backup: await freePort() };
    const pki = options.pki ?? (await TestPki.create(pkiDirectory(options.directory)));
    const trio = new TandemdTrio(options, ports, peerPorts, pki);
    await Promise.all(TRIO_ROLES.map((role) => trio.startNode(role)));
    return trio;
  }

  address(role: TrioRole): string {
    return `127.0.0.1:${this.ports[role]}`;
  }

  /** The data nodes' addresses, main first, as workstations list them. */
  get servers(): string[] {
    return [this.address('main'), this.address('backup')];
  }

  /** Client settings for a role's certificate (admin by default); see TestPki.settings. */
  settings(
    role: ClientRole = 'admin',
    name: string = role,
    extra: Partial<ClientSettingsInput> = {},
  ): Promise<ClientSettingsInput> {
    return this.pki.settings(this.servers, role, name, extra);
  }

  /** tandemctl's --servers (every node) and credential flags for a role (admin by default). */
  async tandemctlArgs(role: ClientRole = 'admin', name: string = role): Promise<string[]> {
    return ['--servers', this.addresses.join(','), ...(await this.pki.tandemctlArgs(role, name))];
  }

  /** An admin's credentials for test helpers (waitForLeader, rawClients...). */
  get access(): ClusterAccess {
    return this.pki.admin;
  }

  peerAddress(role: Exclude<TrioRole, 'witness'>): string {
    return `127.0.0.1:${this.peerPorts[role]}`;
  }

  /** Every node's address, the witness last (for `tandemctl status`). */
  get addresses(): string[] {
    return TRIO_ROLES.map((role) => this.address(role));
  }

  node(role: TrioRole): TandemdProcess {
    const node = this.nodes.get(role);
    if (node === undefined || node === null) throw new Error(`${role} is not running`);
    return node;
  }

  isRunning(role: TrioRole): boolean {
    return (this.nodes.get(role) ?? null) !== null;
  }

  async startNode(role: TrioRole): Promise<TandemdProcess> {
    const dataDir = path.join(this.options.directory, role);
    await mkdir(dataDir, { recursive: true });
    const node = await TandemdProcess.start({
      id: role,
      role,
      dataDir,
      port: this.ports[role],
      pki: this.pki,
      ...(this.options.echo === undefined ? {} : { echo: this.options.echo }),
      overrides: {
        ...(this.options.overrides ?? {}),
        ...(role === 'witness' ? {} : { node: { peerListen: this.peerAddress(role) } }),
        cluster: {
          mode: 'witness',
          nodes: TRIO_ROLES.map((member) =>
            member === 'witness'
              ? { id: member, role: member, address: this.address(member) }
              : {
                  id: member,
                  role: member,
                  address: this.address(member),
                  peerAddress: this.peerAddress(member),
                },
          ),
        },
      },
    });
    this.nodes.set(role, node);
    return node;
  }

  /** kill -9 one node. */
  async kill(role: TrioRole): Promise<void> {
    await this.node(role).kill();
    this.nodes.set(role, null);
  }

  async stopNode(role: TrioRole): Promise<void> {
    await this.node(role).stop();
    this.nodes.set(role, null);
  }

  async stop(): Promise<void> {
    await Promise.all(TRIO_ROLES.filter((role) => this.isRunning(role)).map((role) => this.stopNode(role)));
  }
}
