// A private network of Linux network namespaces for partition tests: one namespace per host (main,
// backup, witness, workstations, and a control host for the test's own admin calls), each joined by
// a veth pair to a bridge that lives in a namespace of its own, on a private /24. Faults are packet
// filters inside the namespaces (iptables DROP per direction, random loss) and delays (netem, or an
// NFQUEUE helper where the kernel has no netem). Nothing is created in the root namespace: both
// ends of every veth are made directly inside the lab's namespaces, so all traffic stays inside.
//
// Teardown kills every process inside the lab's namespaces and deletes the namespaces (which
// removes the veths and the bridge with them). It runs from destroy(), from a process 'exit'
// handler and on SIGINT/SIGTERM/SIGHUP, and a later lab removes what a killed test run left behind.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type DelayBackend, detectDelayBackend } from './netns-support.js';
import { checkDelayProfile, type DelayProfile, PacketDelayer } from './packet-delayer.js';
import { runCommand, runCommandSync } from './shell.js';

/** main, backup, witness, control, or a workstation `ws1`..`ws8`. */
export type LabHost = 'main' | 'backup' | 'witness' | 'control' | `ws${number}`;

export interface NetnsLabOptions {
  /** Workstation namespaces ws1..wsN; 1..MAX_WORKSTATIONS, default 2. */
  workstations?: number;
  /** Whether to create the witness namespace; default true. */
  witness?: boolean;
  /** x in 10.213.x.0/24; random by default so that concurrent labs never share a subnet. */
  subnetOctet?: number;
  /** Force a delay backend; by default netem when the kernel has it, else the NFQUEUE helper. */
  delayBackend?: DelayBackend;
}

export interface LinkImpairment {
  /** Added to every packet from `from` to `to`; jitter is uniform in ± jitterMs. */
  delayMs?: number;
  jitterMs?: number;
  /** Packets from `from` to `to` dropped at random, 0..100. */
  lossPercent?: number;
}

export const MAX_WORKSTATIONS = 8;
export const NETNS_PREFIX = 'tdm-';
/** Labs are cheap but each holds namespaces, iptables state and helper processes: a limit. */
const MAX_LIVE_LABS = 4;
const MAX_FAULT_RULES = 256;
const REGISTRY_DIRECTORY = '/run/tandem-netns-lab';
const BRIDGE = 'br0';
const INPUT_CHAIN = 'TDM-IN';
const OUTPUT_CHAIN = 'TDM-OUT';
const EXIT_WAIT_MS = 3000;

const HOST_OCTETS: Record<string, number> = { main: 1, backup: 2, witness: 3, control: 10 };
const WORKSTATION_OCTET_BASE = 20;

function hostOctet(host: LabHost): number {
  const fixed = HOST_OCTETS[host];
  if (fixed !== undefined) return fixed;
  const match = /^ws([1-9][0-9]*)$/.exec(host);
  const position = match === null ? Number.NaN : Number(match[1]);
  if (!(position >= 1 && position <= MAX_WORKSTATIONS)) throw new Error(`unknown lab host ${host}`);
  return WORKSTATION_OCTET_BASE + position;
}

const liveLabs = new Set<NetnsLab>();
let exitHandlersInstalled = false;

function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  process.on('exit', () => {
    for (const lab of liveLabs) lab.destroySync();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const lab of liveLabs) lab.destroySync();
      // Without another listener the default action (exit) must still happen: raise it again.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

interface RegistryRecord {
  pid: number;
  namespaces: string[];
}

export class NetnsLab {
  readonly id: string;
  readonly subnet: string;
  readonly hosts: readonly LabHost[];
  readonly bridgeNamespace: string;
  delayBackend: DelayBackend | null = null;

  private readonly children = new Set<ChildProcess>();
  private readonly delayers: PacketDelayer[] = [];
  private readonly faultDescriptions: string[] = [];
  private readonly netemClasses = new Map<LabHost, number>();
  private faultRuleCount = 0;
  /** Hosts whose input filter drops packets (cuts and losses), until the next heal. */
  private readonly droppingHosts = new Set<LabHost>();
  private nextQueue = 1;
  private destroyed = false;

  private constructor(
    private readonly options: NetnsLabOptions,
    readonly subnetOctet: number,
  ) {
    this.id = randomBytes(3).toString('hex');
    this.subnet = `10.213.${subnetOctet}.0/24`;
    const workstations = options.workstations ?? 2;
    if (!Number.isSafeInteger(workstations) || workstations < 1 || workstations > MAX_WORKSTATIONS) {
      throw new RangeError(`workstations must be 1..${MAX_WORKSTATIONS} (got ${workstations})`);
    }
    const hosts: LabHost[] = ['main', 'backup'];
    if (options.witness ?? true) hosts.push('witness');
    hosts.push('control');
    for (let position = 1; position <= workstations; position += 1) hosts.push(`ws${position}`);
    this.hosts = hosts;
    this.bridgeNamespace = `${this.prefix}bridge`;
  }

  /** Builds the namespaces, the bridge and the links; on any failure removes what it built. */
  static async create(options: NetnsLabOptions = {}): Promise<NetnsLab> {
    if (liveLabs.size >= MAX_LIVE_LABS) throw new Error(`at most ${MAX_LIVE_LABS} labs may exist at once`);
    const octet = options.subnetOctet ?? randomInt(0, 256);
    if (!Number.isSafeInteger(octet) || octet < 0 || octet > 255)
      throw new RangeError('subnetOctet must be 0..255');
    sweepStaleLabs();
    const lab = new NetnsLab(options, octet);
    installExitHandlers();
    liveLabs.add(lab);
    lab.register();
    try {
      await lab.build();
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  /** `tdm-<random>-`: every namespace of this lab starts with it. */
  get prefix(): string {
    return `${NETNS_PREFIX}${this.id}-`;
  }

  get workstations(): LabHost[] {
    return this.hosts.filter((host) => host.startsWith('ws'));
  }

  namespace(host: LabHost): string {
    this.assertHost(host);
    return `${this.prefix}${host}`;
  }

  /** The host's IPv4 address in the lab's /24. */
  address(host: LabHost): string {
    this.assertHost(host);
    return `10.213.${this.subnetOctet}.${hostOctet(host)}`;
  }

  /** Prepended to a command to run it inside the host's namespace (ip execs it in place). */
  commandPrefix(host: LabHost): string[] {
    return ['ip', 'netns', 'exec', this.namespace(host)];
  }

  /** Runs a command to completion inside the host's namespace; resolves with its stdout. */
  run(host: LabHost, argv: readonly string[], timeoutMs?: number): Promise<string> {
    return runCommand([...this.commandPrefix(host), ...argv], timeoutMs);
  }

  /** Starts a long-running process inside the host's namespace; destroy() kills it if still alive. */
  spawn(host: LabHost, argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
    this.assertUsable();
    const child = spawn('ip', ['netns', 'exec', this.namespace(host), ...argv], options);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Drops every packet from `from` to `to` (one direction), at `to`, so `from` sees only silence. */
  async cut(from: LabHost, to: LabHost): Promise<void> {
    await this.addInputRule(to, ['-s', this.address(from), '-j', 'DROP']);
    this.faultDescriptions.push(`${from} -> ${to} cut`);
  }

  /** Cuts both directions between two hosts. */
  async cutBetween(first: LabHost, second: LabHost): Promise<void> {
    await this.cut(first, second);
    await this.cut(second, first);
  }

  /** Cuts every link between a host of one side and a host of the other, both directions. */
  async partition(sideA: readonly LabHost[], sideB: readonly LabHost[]): Promise<void> {
    for (const first of sideA) for (const second of sideB) await this.cutBetween(first, second);
  }

  /** Delay, jitter and random loss on packets from `from` to `to` (one direction). */
  async impair(from: LabHost, to: LabHost, impairment: LinkImpairment): Promise<void> {
    const lossPercent = impairment.lossPercent ?? 0;
    if (!(lossPercent >= 0 && lossPercent <= 100))
      throw new RangeError(`lossPercent must be 0..100 (got ${lossPercent})`);
    const profile: DelayProfile = { delayMs: impairment.delayMs ?? 0, jitterMs: impairment.jitterMs ?? 0 };
    checkDelayProfile(profile);
    if (lossPercent > 0) {
      // Dropped on arrival, like a lossy wire: the sender's stack never hears of it.
      await this.addInputRule(to, [
        '-s',
        this.address(from),
        '-m',
        'statistic',
        '--mode',
        'random',
        '--probability',
        (lossPercent / 100).toFixed(4),
        '-j',
        'DROP',
      ]);
    }
    if (profile.delayMs > 0) await this.addDelay(from, to, profile);
    const parts = [
      profile.delayMs > 0 ? `${profile.delayMs} ± ${profile.jitterMs} ms` : '',
      lossPercent > 0 ? `${lossPercent} % loss` : '',
    ].filter((part) => part !== '');
    this.faultDescriptions.push(`${from} -> ${to} ${parts.join(', ') || 'unchanged'}`);
  }

  /** Impairs both directions of every link among `hosts`. */
  async impairAll(hosts: readonly LabHost[], impairment: LinkImpairment): Promise<void> {
    for (const from of hosts)
      for (const to of hosts) if (from !== to) await this.impair(from, to, impairment);
  }

  /** The faults in force, one line each, for test messages. */
  get faults(): readonly string[] {
    return [...this.faultDescriptions];
  }

  /**
   * Removes every cut, loss and delay; delayed packets still in flight are delivered. Resolves with
   * when (Date.now()) each host that dropped packets (a cut or a loss to it) stopped dropping them:
   * the hosts are healed one after another, and on a busy machine the whole heal can take a second,
   * so a test that times what follows a link's heal starts from the later of its ends that dropped.
   */
  async heal(): Promise<Map<LabHost, number>> {
    this.assertUsable();
    const healedAtMs = new Map<LabHost, number>();
    for (const host of this.hosts) {
      const run = (argv: string[]) => this.run(host, argv);
      await run(['iptables', '-w', '-F', INPUT_CHAIN]);
      if (this.droppingHosts.has(host)) healedAtMs.set(host, Date.now());
      await run(['iptables', '-w', '-F', OUTPUT_CHAIN]);
    }
    this.droppingHosts.clear();
    for (const host of this.netemClasses.keys()) {
      await this.run(host, ['tc', 'qdisc', 'del', 'dev', 'eth0', 'root']).catch(() => undefined);
    }
    this.netemClasses.clear();
    // The NFQUEUE rules are gone, so the delayers receive nothing new; stopping them releases what they hold.
    await Promise.all(this.delayers.splice(0).map((delayer) => delayer.stop()));
    this.faultDescriptions.length = 0;
    this.faultRuleCount = 0;
    return healedAtMs;
  }

  /** Kills every process in the lab's namespaces and deletes them. Safe to call more than once. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all(this.delayers.splice(0).map((delayer) => delayer.stop().catch(() => undefined)));
    const waits: Promise<void>[] = [];
    for (const child of this.children) {
      waits.push(new Promise((resolve) => child.once('exit', () => resolve())));
      child.kill('SIGKILL');
    }
    for (const namespace of this.allNamespaces()) killNamespaceProcesses(namespace);
    await Promise.race([Promise.all(waits), new Promise((resolve) => setTimeout(resolve, EXIT_WAIT_MS))]);
    for (const namespace of this.allNamespaces()) {
      await runCommand(['ip', 'netns', 'del', namespace]).catch(() => undefined);
    }
    this.unregister();
    liveLabs.delete(this);
  }

  /** destroy() for the process 'exit' handler: synchronous, best effort, never throws. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const child of this.children) child.kill('SIGKILL');
    for (const namespace of this.allNamespaces()) {
      killNamespaceProcesses(namespace);
      try {
        runCommandSync(['ip', 'netns', 'del', namespace]);
      } catch {
        // Already gone, or still held by a dying process: the next lab's sweep removes it.
      }
    }
    this.unregister();
    liveLabs.delete(this);
  }

  /** The lab's namespaces that exist right now (for tests of the teardown itself). */
  existingNamespaces(): string[] {
    return listNamespaces().filter((name) => name.startsWith(this.prefix));
  }

  private allNamespaces(): string[] {
    return [...this.hosts.map((host) => `${this.prefix}${host}`), this.bridgeNamespace];
  }

  private async build(): Promise<void> {
    const bridge = this.bridgeNamespace;
    await runCommand(['ip', 'netns', 'add', bridge]);
    await runCommand(['ip', '-n', bridge, 'link', 'set', 'lo', 'up']);
    await runCommand(['ip', '-n', bridge, 'link', 'add', BRIDGE, 'type', 'bridge']);
    await runCommand(['ip', '-n', bridge, 'link', 'set', BRIDGE, 'up']);
    for (const host of this.hosts) {
      const namespace = this.namespace(host);
      const port = `p-${host}`;
      await runCommand(['ip', 'netns', 'add', namespace]);
      // Both ends are created inside their namespaces: the root namespace never holds either.
      await runCommand([
        'ip',
        'link',
        'add',
        'eth0',
        'netns',
        namespace,
        'type',
        'veth',
        'peer',
        'name',
        port,
        'netns',
        bridge,
      ]);
      await runCommand(['ip', '-n', bridge, 'link', 'set', port, 'master', BRIDGE]);
      await runCommand(['ip', '-n', bridge, 'link', 'set', port, 'up']);
      await runCommand(['ip', '-n', namespace, 'link', 'set', 'lo', 'up']);
      await runCommand(['ip', '-n', namespace, 'addr', 'add', `${this.address(host)}/24`, 'dev', 'eth0']);
      await runCommand(['ip', '-n', namespace, 'link', 'set', 'eth0', 'up']);
      await this.run(host, ['iptables', '-w', '-N', INPUT_CHAIN]);
      await this.run(host, ['iptables', '-w', '-A', 'INPUT', '-j', INPUT_CHAIN]);
      await this.run(host, ['iptables', '-w', '-N', OUTPUT_CHAIN]);
      await this.run(host, ['iptables', '-w', '-A', 'OUTPUT', '-j', OUTPUT_CHAIN]);
    }
    this.delayBackend = this.options.delayBackend ?? (await detectDelayBackend(this.bridgeNamespace));
  }

  private async addInputRule(host: LabHost, rule: string[]): Promise<void> {
    this.assertUsable();
    this.countRule();
    await this.run(host, ['iptables', '-w', '-A', INPUT_CHAIN, ...rule]);
    this.droppingHosts.add(host);
  }

  private async addDelay(from: LabHost, to: LabHost, profile: DelayProfile): Promise<void> {
    this.assertUsable();
    this.countRule();
    if (this.delayBackend === null) {
      throw new Error(
        'this machine cannot delay packets: the kernel has no netem and there is no C compiler (cc)',
      );
    }
    if (this.delayBackend === 'netem') {
      // An HTB root whose default class is unimpaired; one class with a netem child per destination.
      const run = (argv: string[]) => this.run(from, ['tc', ...argv]);
      let next = this.netemClasses.get(from);
      if (next === undefined) {
        await run(['qdisc', 'add', 'dev', 'eth0', 'root', 'handle', '1:', 'htb', 'default', '1']);
        await run(['class', 'add', 'dev', 'eth0', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '10gbit']);
        next = 2;
      }
      const classId = `1:${next}`;
      await run(['class', 'add', 'dev', 'eth0', 'parent', '1:', 'classid', classId, 'htb', 'rate', '10gbit']);
      await run([
        'qdisc',
        'add',
        'dev',
        'eth0',
        'parent',
        classId,
        'handle',
        `${next + 100}:`,
        'netem',
        'delay',
        `${profile.delayMs}ms`,
        `${profile.jitterMs}ms`,
        'limit',
        '10000',
      ]);
      await run([
        'filter',
        'add',
        'dev',
        'eth0',
        'parent',
        '1:',
        'protocol',
        'ip',
        'prio',
        '1',
        'u32',
        'match',
        'ip',
        'dst',
        `${this.address(to)}/32`,
        'flowid',
        classId,
      ]);
      this.netemClasses.set(from, next + 1);
      return;
    }
    // NFQUEUE: the sender's outgoing packets to `to` wait in a helper process for their delay.
    // --queue-bypass lets packets through if the helper is gone, so teardown never blackholes a link.
    const queue = this.nextQueue;
    this.nextQueue += 1;
    const delayer = await PacketDelayer.start(
      this.commandPrefix(from),
      queue,
      profile,
      randomInt(0, 2 ** 31 - 1),
    );
    this.delayers.push(delayer);
    await this.run(from, [
      'iptables',
      '-w',
      '-A',
      OUTPUT_CHAIN,
      '-d',
      this.address(to),
      '-j',
      'NFQUEUE',
      '--queue-num',
      String(queue),
      '--queue-bypass',
    ]);
  }

  private countRule(): void {
    this.faultRuleCount += 1;
    if (this.faultRuleCount > MAX_FAULT_RULES)
      throw new Error(`more than ${MAX_FAULT_RULES} fault rules; heal() first`);
  }

  private assertHost(host: LabHost): void {
    if (!this.hosts.includes(host)) throw new Error(`lab ${this.id} has no host ${host}`);
  }

  private assertUsable(): void {
    if (this.destroyed) throw new Error(`lab ${this.id} was destroyed`);
  }

  private register(): void {
    try {
      mkdirSync(REGISTRY_DIRECTORY, { recursive: true });
      const record: RegistryRecord = { pid: process.pid, namespaces: this.allNamespaces() };
      writeFileSync(path.join(REGISTRY_DIRECTORY, `${this.id}.json`), JSON.stringify(record));
    } catch {
      // The registry only helps clean up after a killed run; the lab works without it.
    }
  }

  private unregister(): void {
    rmSync(path.join(REGISTRY_DIRECTORY, `${this.id}.json`), { force: true });
  }
}

function listNamespaces(): string[] {
  try {
    return runCommandSync(['ip', 'netns', 'list'])
      .split('\n')
      .map((line) => line.split(' ')[0] ?? '')
      .filter((name) => name !== '');
  } catch {
    return [];
  }
}

/** SIGKILLs every process inside one of our namespaces (only our own processes ever run there). */
function killNamespaceProcesses(namespace: string): void {
  let pids: number[] = [];
  try {
    pids = runCommandSync(['ip', 'netns', 'pids', namespace])
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((pid) => Number.isSafeInteger(pid) && pid > 1 && pid !== process.pid);
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Removes the namespaces of labs whose test process died without tearing them down. */
function sweepStaleLabs(): void {
  if (!existsSync(REGISTRY_DIRECTORY)) return;
  for (const file of readdirSync(REGISTRY_DIRECTORY)) {
    if (!file.endsWith('.json')) continue;
    const recordPath = path.join(REGISTRY_DIRECTORY, file);
    let record: RegistryRecord;
    try {
      record = JSON.parse(readFileSync(recordPath, 'utf8')) as RegistryRecord;
    } catch {
      rmSync(recordPath, { force: true });
      continue;
    }
    if (existsSync(`/proc/${record.pid}`)) continue;
    for (const namespace of record.namespaces) {
      if (!namespace.startsWith(NETNS_PREFIX)) continue;
      killNamespaceProcesses(namespace);
      try {
        runCommandSync(['ip', 'netns', 'del', namespace]);
      } catch {
        // Gone already.
      }
    }
    rmSync(recordPath, { force: true });
  }
}
