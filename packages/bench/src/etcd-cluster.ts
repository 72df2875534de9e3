// A 3-member etcd cluster on 127.0.0.1 for the side-by-side benchmark: Debian's etcd-server
// (installed with apt-get when missing), free ports, data under a temporary directory, default
// settings (WAL fsync on, 100 ms heartbeat, 1 s election timeout). Only the processes started
// here are ever signalled, and they are killed when the benchmark exits in any way.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '@tandem/testkit';
import { etcdClient } from './etcd-backend.js';
import type { FailoverCluster } from './failover.js';
import { guardChild } from './process-guard.js';
import type { SeatBackend } from './seat-backend.js';

const STOP_TIMEOUT_MS = 10_000;
const STATUS_TIMEOUT_MS = 1000;
export const MAX_ETCD_MEMBERS = 7;
const READY_TIMEOUT_MS = 180_000;
/** A member this close to the leader's raft index counts as caught up (the cluster is idle then). */
const CAUGHT_UP_ENTRIES = 10;

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

export function findEtcd(): string | null {
  for (const directory of (process.env.PATH ?? '').split(path.delimiter)) {
    if (directory === '') continue;
    const candidate = path.join(directory, 'etcd');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return null;
}

/** The etcd binary, installed from Debian's etcd-server package first if it is missing. */
export function ensureEtcdInstalled(say: (text: string) => void): string {
  const found = findEtcd();
  if (found !== null) return found;
  say('etcd is missing: apt-get update && apt-get install -y etcd-server\n');
  const install = spawnSync('sh', ['-c', 'apt-get update && apt-get install -y etcd-server'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (install.status !== 0) {
    throw new Error(`installing etcd-server failed (exit ${install.status}); install it and run again`);
  }
  const installed = findEtcd();
  if (installed === null) throw new Error('etcd-server was installed but no etcd is on PATH');
  return installed;
}

export function etcdVersion(binary: string): string {
  const answer = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  const match = /etcd Version: (\S+)/.exec(answer.stdout ?? '');
  return match?.[1] ?? 'unknown';
}

interface Member {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  child: ChildProcess | null;
}

export interface MemberStatus {
  memberId: string;
  leaderId: string;
  raftTerm: number;
  raftIndex: number;
}

export interface EtcdClusterOptions {
  binary: string;
  /** Data directories and logs go under it; the caller owns and removes it. */
  directory: string;
  members?: number;
  startTimeoutMs?: number;
}

export class EtcdCluster {
  private constructor(
    private readonly options: EtcdClusterOptions,
    private readonly members: Member[],
    private readonly token: string,
  ) {}

  static async start(options: EtcdClusterOptions): Promise<EtcdCluster> {
    const size = options.members ?? 3;
    if (!Number.isInteger(size) || size < 1 || size > MAX_ETCD_MEMBERS) {
      throw new Error(`an etcd cluster has 1 to ${MAX_ETCD_MEMBERS} members, not ${size}`);
    }
    const ports = new Set<number>();
    while (ports.size < size * 2) ports.add(await freePort());
    const [...free] = ports;
    const members: Member[] = Array.from({ length: size }, (_, position) => ({
      name: `m${position}`,
      clientPort: free[position * 2] as number,
      peerPort: free[position * 2 + 1] as number,
      dataDir: path.join(options.directory, `m${position}`),
      child: null,
    }));
    const cluster = new EtcdCluster(options, members, `tandem-bench-${process.pid}-${Date.now()}`);
    try {
      for (const member of members) await cluster.spawnMember(member);
      await cluster.waitForHealthy(options.startTimeoutMs ?? 30_000);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get clientUrls(): string[] {
    return this.members.map((member) => `http://127.0.0.1:${member.clientPort}`);
  }

  get size(): number {
    return this.members.length;
  }

  pid(position: number): number {
    const pid = this.member(position).child?.pid;
    if (pid === undefined) throw new Error(`etcd member ${position} is not running`);
    return pid;
  }

  /** One member's view, asked with a fresh client so that no retry or circuit state carries over. */
  async status(position: number): Promise<MemberStatus> {
    const url = this.clientUrls[position] as string;
    const client = etcdClient([url]);
    try {
      const answer = await client.maintenance.status({ deadline: Date.now() + STATUS_TIMEOUT_MS });
      return {
        memberId: answer.header.member_id,
        leaderId: answer.leader,
        raftTerm: Number(answer.raftTerm),
        raftIndex: Number(answer.raftIndex),
      };
    } finally {
      client.close();
    }
  }

  /** The position of the member that says it leads. */
  async leader(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (let position = 0; position < this.members.length; position += 1) {
        if (this.member(position).child === null) continue;
        try {
          const status = await this.status(position);
          if (status.leaderId !== '0' && status.memberId === status.leaderId) return position;
        } catch {
          // Starting, or down: ask the next one.
        }
      }
      await sleep(50);
    }
    throw new Error(`no etcd member led within ${timeoutMs} ms`);
  }

  /** Waits until every running member answers and knows a leader. */
  async waitForHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const running = this.members
          .map((_, position) => position)
          .filter((p) => this.member(p).child !== null);
        const statuses = await Promise.all(running.map((position) => this.status(position)));
        if (statuses.every((status) => status.leaderId !== '0')) return;
        last = JSON.stringify(statuses);
      } catch (error) {
        last = (error as Error).message;
      }
      await sleep(100);
    }
    throw new Error(
      `etcd did not become healthy within ${timeoutMs} ms (${last}); logs in ${this.options.directory}`,
    );
  }

  /**
   * Waits until every member is running, knows the leader, and has applied within a few entries
   * of the leader's index, so that a round never starts with a member still catching up.
   */
  async waitForCaughtUp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        if (this.members.some((member) => member.child === null)) throw new Error('a member is not running');
        const statuses = await Promise.all(this.members.map((_, position) => this.status(position)));
        const leader = statuses.find(
          (status) => status.leaderId !== '0' && status.memberId === status.leaderId,
        );
        if (
          leader !== undefined &&
          statuses.every((status) => leader.raftIndex - status.raftIndex <= CAUGHT_UP_ENTRIES)
        ) {
          return;
        }
        last = JSON.stringify(statuses);
      } catch (error) {
        last = (error as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`etcd members did not catch up within ${timeoutMs} ms (${last})`);
  }

  /** kill -9 one member. */
  async kill(position: number): Promise<void> {
    const member = this.member(position);
    const child = member.child;
    if (child === null) throw new Error(`etcd member ${position} is not running`);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    member.child = null;
  }

  /** Starts a killed member again on its data directory and waits until it knows the leader. */
  async restart(position: number, timeoutMs = 30_000): Promise<void> {
    const member = this.member(position);
    if (member.child !== null) throw new Error(`etcd member ${position} is running`);
    await this.spawnMember(member);
    await this.waitForHealthy(timeoutMs);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.members.map(async (member) => {
        const child = member.child;
        if (child === null) return;
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await exited;
          clearTimeout(timer);
        }
        member.child = null;
      }),
    );
  }

  private member(position: number): Member {
    const member = this.members[position];
    if (member === undefined) throw new Error(`no etcd member ${position}`);
    return member;
  }

  private async spawnMember(member: Member): Promise<void> {
    await mkdir(member.dataDir, { recursive: true });
    const initialCluster = this.members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
    const clientUrl = `http://127.0.0.1:${member.clientPort}`;
    const peerUrl = `http://127.0.0.1:${member.peerPort}`;
    const log = openSync(path.join(this.options.directory, `${member.name}.log`), 'a');
    try {
      const child = spawn(
        this.options.binary,
        [
          `--name=${member.name}`,
          `--data-dir=${member.dataDir}`,
          `--listen-client-urls=${clientUrl}`,
          `--advertise-client-urls=${clientUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=${initialCluster}`,
          `--initial-cluster-token=${this.token}`,
          '--initial-cluster-state=new',
          '--logger=zap',
          '--log-outputs=stderr',
        ],
        { stdio: ['ignore', log, log] },
      );
      guardChild(child);
      member.child = child;
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve());
        child.once('error', reject);
      });
    } finally {
      closeSync(log);
    }
  }
}

/** Failover hooks for the etcd cluster: members are named m0, m1, m2. */
export function etcdFailoverCluster(cluster: EtcdCluster, backend: SeatBackend): FailoverCluster {
  const position = (name: string) => {
    const index = Number(name.slice(1));
    if (!/^m\d+$/.test(name) || index >= cluster.size) throw new Error(`no etcd member named ${name}`);
    return index;
  };
  return {
    backend,
    ready: () => cluster.waitForCaughtUp(READY_TIMEOUT_MS),
    findLeader: async () => `m${await cluster.leader()}`,
    kill: (name) => cluster.kill(position(name)),
    restart: async (name) => {
      await cluster.restart(position(name));
      return null;
    },
  };
}
