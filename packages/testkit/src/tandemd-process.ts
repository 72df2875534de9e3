// A real tandemd process for cluster tests and the demo: written config, spawned binary, parsed
// JSON logs, and kill -9 when a test wants a crash.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClientSettingsInput } from '@tandem/client';
import YAML from 'yaml';
import { type EntryBuild, tandemdEntry } from './paths.js';
import { freePort } from './ports.js';
import { type ClientRole, type ClusterAccess, INSECURE_ACCESS, pkiDirectory, TestPki } from './test-pki.js';
import { testVendorLicensing } from './test-vendor.js';

export interface TandemdOptions {
  id?: string;
  role?: 'main' | 'backup' | 'witness';
  dataDir: string;
  /** Picked free when absent; kept across restarts by passing it again. */
  port?: number;
  /**
   * Deep-merged over the generated configuration (timing, limits, ledger, snapshot, log...). The
   * generated one trusts the test vendor (test-vendor.ts).
   */
  overrides?: Record<string, unknown>;
  /** Echo the node's log lines to this stream (the demo uses it; tests keep them quiet). */
  echo?: NodeJS.WritableStream;
  /** The host to listen on; 127.0.0.1 unless the node runs in its own network namespace. */
  host?: string;
  /**
   * A command that runs tandemd, such as `['ip', 'netns', 'exec', 'ns1']`; it must exec the rest
   * of its arguments in place, so that signals reach tandemd itself.
   */
  commandPrefix?: string[];
  /** Added to tandemd's environment (the partition matrix arms TANDEM_CRASH_POINT with it). */
  environment?: Record<string, string>;
  /**
   * The cluster's PKI: the node gets a certificate from it (`tandemd://node/<id>`, or witness).
   * Made under the data directory when absent, and kept across restarts.
   */
  pki?: TestPki;
  /** Plaintext and no authentication (insecure: true); only tests of that mode itself use it. */
  insecure?: boolean;
  /** Hosts the node's certificate is valid for (default localhost and 127.0.0.1, plus host). */
  certificateHosts?: string[];
  /**
   * How long the node may take to listen (20 s by default); a node that first reads a long log
   * on a loaded machine (the catch-up benchmark's main) needs more.
   */
  startTimeoutMs?: number;
  /**
   * Node's own options, before tandemd's entry (`--cpu-prof`, which NODE_OPTIONS does not accept
   * in Node 20).
   */
  nodeArguments?: string[];
  /** Which build of tandemd runs (paths.ts): the bundle the packages ship by default. */
  entry?: EntryBuild;
}

export interface LogLine {
  level: string;
  message: string;
  [key: string]: unknown;
}

export class TandemdProcess {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private readonly waiters = new Set<(line: LogLine) => void>();
  private pendingText = '';

  private constructor(
    readonly child: ChildProcess,
    readonly address: string,
    readonly port: number,
    readonly configFile: string,
    readonly options: TandemdOptions,
    /** The cluster's PKI; null for an insecure node. */
    readonly pki: TestPki | null,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    // One listener records every line for the whole life of the process; waits look at the record.
    child.stdout?.on('data', (chunk: Buffer) => this.recordChunk(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr.push(chunk.toString('utf8'));
      this.options.echo?.write(chunk);
    });
  }

  /** Spawns tandemd and resolves once it logs that it is listening. */
  static async start(options: TandemdOptions): Promise<TandemdProcess> {
    const port = options.port ?? (await freePort());
    const id = options.id ?? 'main';
    const host = options.host ?? '127.0.0.1';
    const address = `${host}:${port}`;
    const role = options.role ?? 'main';
    await mkdir(options.dataDir, { recursive: true });
    const pki =
      options.insecure === true
        ? null
        : (options.pki ?? (await TestPki.create(pkiDirectory(options.dataDir))));
    const hosts = options.certificateHosts ?? [...new Set(['localhost', '127.0.0.1', host])];
    const security =
      pki === null
        ? { insecure: true }
        : { tls: await pki.serverTls(role === 'witness' ? 'witness' : 'node', id, { hosts }) };
    const config = merge(
      {
        // Every data node of a test gets an HTTP port (the console, its API) on a free port.
        node: {
          id,
          role,
          listen: address,
          dataDir: options.dataDir,
          ...(role === 'witness' ? {} : { httpListen: `${host}:0` }),
        },
        cluster: { mode: 'single' },
        licensing: testVendorLicensing(),
        log: { level: 'info' },
        ...security,
      },
      options.overrides ?? {},
    );
    const configFile = path.join(options.dataDir, `${id}.yaml`);
    await writeFile(configFile, YAML.stringify(config));
    const [command, ...args] = [
      ...(options.commandPrefix ?? []),
      process.execPath,
      ...(options.nodeArguments ?? []),
      tandemdEntry(options.entry),
      '--config',
      configFile,
    ];
    if (command === undefined) throw new Error('tandemd has no command to run');
    // tandemd needs the test vendor's public key only, which is in its configuration.
    const { TANDEM_TEST_VENDOR_KEY: _privateKey, ...environment } = process.env;
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...environment, ...(options.environment ?? {}) },
    });
    const node = new TandemdProcess(
      child,
      address,
      port,
      configFile,
      { ...options, ...(pki === null ? {} : { pki }) },
      pki,
    );
    try {
      await node.waitForLog((line) => line.message === 'listening', options.startTimeoutMs ?? 20_000);
    } catch (error) {
      // Never leave a half-started server behind a failed start.
      await node.kill();
      throw error;
    }
    return node;
  }

  /**
   * The HTTP port's address (the web console) from the node's "listening" line; null for the
   * witness or a node configured without one.
   */
  get httpAddress(): string | null {
    const listening = this.logs.find((line) => line.message === 'listening');
    const address = listening?.httpAddress;
    return typeof address === 'string' ? address : null;
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('tandemd has no pid');
    return this.child.pid;
  }

  /** Resolves with the first log line that matches, or rejects after timeoutMs or on exit. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const seen = this.logs.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = (line: LogLine) => {
        if (!match(line)) return;
        cleanup();
        resolve(line);
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(
          new Error(`tandemd exited (code ${code}) before the expected log line: ${this.stderr.join('')}`),
        );
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`tandemd did not log the expected line within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        this.child.off('exit', onExit);
      };
      this.waiters.add(waiter);
      this.child.once('exit', onExit);
    });
  }

  private recordChunk(chunk: Buffer): void {
    this.pendingText += chunk.toString('utf8');
    let newline = this.pendingText.indexOf('\n');
    while (newline >= 0) {
      const text = this.pendingText.slice(0, newline);
      this.pendingText = this.pendingText.slice(newline + 1);
      newline = this.pendingText.indexOf('\n');
      if (text.trim() === '') continue;
      this.options.echo?.write(`${text}\n`);
      try {
        const line = JSON.parse(text) as LogLine;
        this.logs.push(line);
        for (const waiter of [...this.waiters]) waiter(line);
      } catch {
        // Not every line is ours to parse (a crash trace, for instance); it is still echoed.
      }
    }
  }

  /** kill -9: no shutdown code runs, exactly like a power cut for the process. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait for a graceful exit; returns the exit code. */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const { code } = await this.exited;
    clearTimeout(timer);
    return code;
  }

  waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }

  /** Starts a new process on the same data directory, port and PKI. */
  restart(): Promise<TandemdProcess> {
    return TandemdProcess.start({ ...this.options, port: this.port });
  }

  /** SIGHUP: the node reads its certificate files (and tokens) again. */
  reload(): void {
    this.child.kill('SIGHUP');
  }

  /** An admin's credentials for test helpers (waitForLeader, rawClients...). */
  get access(): ClusterAccess {
    return this.pki?.admin ?? INSECURE_ACCESS;
  }

  /** Client settings for a role's certificate (admin by default) to this one node. */
  settings(role: ClientRole = 'admin', name: string = role, extra: Partial<ClientSettingsInput> = {}) {
    if (this.pki === null) return Promise.resolve({ servers: [this.address], insecure: true, ...extra });
    return this.pki.settings([this.address], role, name, extra);
  }

  /** tandemctl's --servers and credential flags for a role (admin by default). */
  async tandemctlArgs(role: ClientRole = 'admin', name: string = role): Promise<string[]> {
    const credentials = this.pki === null ? ['--insecure'] : await this.pki.tandemctlArgs(role, name);
    return ['--servers', this.address, ...credentials];
  }

  /** The PKI, for a test that needs credentials (an insecure node has none). */
  requirePki(): TestPki {
    if (this.pki === null) throw new Error('this node runs insecure: it has no PKI');
    return this.pki;
  }
}

function merge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const existing = result[key];
    result[key] =
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      typeof existing === 'object' &&
      existing !== null
        ? merge(existing as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return result;
}
