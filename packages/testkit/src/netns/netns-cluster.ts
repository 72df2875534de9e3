// Main and backup (and, in witness mode, the witness) as real tandemd processes, each inside its
// own namespace of a NetnsLab, listening on the lab address of its namespace. The same ports
// everywhere: each namespace has its own ports. Secure as deployed: TLS on the client port, mutual
// TLS on the peer port and to the witness, each node's certificate valid for its lab address; the
// PKI's files live under the cluster's directory, where processes in every namespace read them.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { TandemdProcess } from '../tandemd-process.js';
import { type ClusterAccess, INSECURE_ACCESS, pkiDirectory, TestPki } from '../test-pki.js';
import type { NetnsLab } from './netns-lab.js';

export type NetnsClusterMode = 'pair' | 'witness';
export type NetnsNodeRole = 'main' | 'backup' | 'witness';
export type NetnsDataRole = 'main' | 'backup';

export const NETNS_TANDEMD_PORT = 7400;
/** The data nodes' peer port (PeerService, mutual TLS); the witness has one port. */
export const NETNS_PEER_PORT = 7401;
export const NETNS_DATA_ROLES: readonly NetnsDataRole[] = ['main', 'backup'];

export interface NetnsClusterOptions {
  lab: NetnsLab;
  /** pair: main and backup; witness: main, backup and a witness (the lab must have a witness host). */
  mode: NetnsClusterMode;
  /** main/, backup/ and witness/ data directories are made under it. */
  directory: string;
  /** Deep-merged into every node's configuration (timing, limits, ledger, snapshot, log). */
  overrides?: Record<string, unknown>;
  /** Environment added to one node's process at the cluster's start (TANDEM_CRASH_POINT). */
  environment?: Partial<Record<NetnsNodeRole, Record<string, string>>>;
  echo?: NodeJS.WritableStream;
  /** The cluster's PKI; one under directory/pki by default. Ignored with insecure. */
  pki?: TestPki;
  /** Plaintext, no authentication (insecure: true): only for tests of that mode. */
  insecure?: boolean;
}

export class NetnsCluster {
  private readonly nodes = new Map<NetnsNodeRole, TandemdProcess | null>();
  private readonly paused = new Set<NetnsNodeRole>();

  private constructor(
    readonly options: NetnsClusterOptions,
    /** null when the cluster runs insecure. */
    readonly pki: TestPki | null,
  ) {
    if (options.mode === 'witness' && !options.lab.hosts.includes('witness')) {
      throw new Error('witness mode needs a lab with a witness host');
    }
  }

  /** Starts every node of the mode together. */
  static async start(options: NetnsClusterOptions): Promise<NetnsCluster> {
    const pki =
      options.insecure === true
        ? null
        : (options.pki ?? (await TestPki.create(pkiDirectory(options.directory))));
    const cluster = new NetnsCluster(options, pki);
    try {
      await Promise.all(
        cluster.roles.map((role) => cluster.startNode(role, options.environment?.[role] ?? {})),
      );
    } catch (error) {
      await cluster.kill();
      throw error;
    }
    return cluster;
  }

  get mode(): NetnsClusterMode {
    return this.options.mode;
  }

  /** The nodes of this mode: main, backup, and the witness in witness mode. */
  get roles(): NetnsNodeRole[] {
    return this.options.mode === 'witness' ? ['main', 'backup', 'witness'] : ['main', 'backup'];
  }

  address(role: NetnsNodeRole): string {
    return `${this.options.lab.address(role)}:${NETNS_TANDEMD_PORT}`;
  }

  /** A data node's peer port. */
  peerAddress(role: NetnsDataRole): string {
    return `${this.options.lab.address(role)}:${NETNS_PEER_PORT}`;
  }

  /** The data nodes' addresses, main first, as workstations list them. */
  get servers(): string[] {
    return [this.address('main'), this.address('backup')];
  }

  /** An admin's credentials (files under the cluster's directory). */
  get access(): ClusterAccess {
    return this.pki?.admin ?? INSECURE_ACCESS;
  }

  dataDirectory(role: NetnsNodeRole): string {
    return path.join(this.options.directory, role);
  }

  node(role: NetnsNodeRole): TandemdProcess {
    const node = this.nodes.get(role);
    if (node === undefined || node === null) throw new Error(`${role} is not running`);
    return node;
  }

  isRunning(role: NetnsNodeRole): boolean {
    return (this.nodes.get(role) ?? null) !== null;
  }

  /**
   * Starts (or restarts, on the same data directory) one node inside its namespace, with
   * `environment` added to its process's (a restart does not inherit an earlier start's).
   */
  async startNode(role: NetnsNodeRole, environment: Record<string, string> = {}): Promise<TandemdProcess> {
    if (!this.roles.includes(role)) throw new Error(`${this.mode} mode has no ${role}`);
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
      environment,
      ...(this.pki === null ? { insecure: true } : { pki: this.pki }),
      // The lab address is the only one peers and clients dial.
      certificateHosts: [lab.address(role)],
      ...(this.options.echo === undefined ? {} : { echo: this.options.echo }),
      overrides: {
        ...(this.options.overrides ?? {}),
        ...(role === 'witness' ? {} : { node: { peerListen: this.peerAddress(role) } }),
        cluster: {
          mode: this.mode,
          nodes: this.roles.map((member) =>
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

  /**
   * Waits until a node's process ends by itself (a crash point killed it), and counts it as down.
   * Rejects after timeoutMs.
   */
  async waitForDeath(role: NetnsNodeRole, timeoutMs: number): Promise<{ signal: NodeJS.Signals | null }> {
    const node = this.node(role);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${role} was still running after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const { signal } = await Promise.race([node.waitForExit(), timeout]);
      this.paused.delete(role);
      this.nodes.set(role, null);
      return { signal };
    } finally {
      clearTimeout(timer);
    }
  }

  /** kill -9 one node, or every node. */
  async kill(role?: NetnsNodeRole): Promise<void> {
    const roles = role === undefined ? this.roles : [role];
    await Promise.all(
      roles
        .filter((each) => this.isRunning(each))
        .map(async (each) => {
          await this.node(each).kill();
          this.paused.delete(each);
          this.nodes.set(each, null);
        }),
    );
  }

  /** SIGTERM every node (or one) and wait for a clean exit, so that data directories can be read. */
  async stop(role?: NetnsNodeRole): Promise<void> {
    const roles = role === undefined ? this.roles : [role];
    for (const each of roles) if (this.paused.has(each)) this.resume(each);
    await Promise.all(
      roles
        .filter((each) => this.isRunning(each))
        .map(async (each) => {
          await this.node(each).stop();
          this.nodes.set(each, null);
        }),
    );
  }

  /**
   * SIGSTOP: the process stops at once, with its sockets open, as a stalled machine or a long
   * garbage-collection pause would; packets to it queue in the kernel. (`ip netns exec` execs
   * tandemd in place, so the child's pid is tandemd's.)
   */
  pause(role: NetnsNodeRole): void {
    process.kill(this.node(role).pid, 'SIGSTOP');
    this.paused.add(role);
  }

  /** SIGCONT after pause(). */
  resume(role: NetnsNodeRole): void {
    process.kill(this.node(role).pid, 'SIGCONT');
    this.paused.delete(role);
  }
}
