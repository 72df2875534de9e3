// The NFQUEUE packet delayer (netdelay.c) for kernels without netem: built once per source version
// with the system C compiler, then run inside a namespace, one process per queue.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repositoryRoot } from '../paths.js';
import { runCommand } from './shell.js';

export interface DelayProfile {
  delayMs: number;
  /** Uniform in [delayMs - jitterMs, delayMs + jitterMs], as netem does by default. */
  jitterMs: number;
}

/** netdelay.c's own bound: a delay longer than a minute is not a slow link but a cut. */
export const MAX_DELAY_MS = 60_000;
const READY_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 3000;

export function checkDelayProfile(profile: DelayProfile): void {
  const { delayMs, jitterMs } = profile;
  if (!Number.isSafeInteger(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS) {
    throw new RangeError(`delayMs must be an integer in 0..${MAX_DELAY_MS} (got ${delayMs})`);
  }
  if (!Number.isSafeInteger(jitterMs) || jitterMs < 0 || jitterMs > delayMs) {
    throw new RangeError(`jitterMs must be an integer in 0..delayMs (got ${jitterMs})`);
  }
}

let built: Promise<string> | null = null;

/** Compiles netdelay.c into a cache directory named after its content; returns the binary's path. */
export function buildPacketDelayer(): Promise<string> {
  built ??= (async () => {
    const source = path.join(repositoryRoot(), 'packages/testkit/src/netns/netdelay.c');
    const digest = createHash('sha256')
      .update(await readFile(source))
      .digest('hex')
      .slice(0, 16);
    const directory = path.join(os.tmpdir(), 'tandem-netdelay');
    const binary = path.join(directory, `tdm-netdelay-${digest}`);
    if (existsSync(binary)) return binary;
    await mkdir(directory, { recursive: true });
    // Build beside the target and rename, so a concurrent build never runs a half-written binary.
    const partial = `${binary}.${process.pid}.partial`;
    await runCommand(['cc', '-O2', '-Wall', '-o', partial, source], 60_000);
    await rename(partial, binary);
    return binary;
  })();
  built.catch(() => {
    built = null;
  });
  return built;
}

/** One running delayer bound to `queue` in the namespace that `commandPrefix` enters. */
export class PacketDelayer {
  private constructor(
    readonly queue: number,
    readonly profile: DelayProfile,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  static async start(
    commandPrefix: readonly string[],
    queue: number,
    profile: DelayProfile,
    seed: number,
  ): Promise<PacketDelayer> {
    checkDelayProfile(profile);
    const binary = await buildPacketDelayer();
    const [command, ...args] = [
      ...commandPrefix,
      binary,
      '--queue',
      String(queue),
      '--delay-ms',
      String(profile.delayMs),
      '--jitter-ms',
      String(profile.jitterMs),
      '--seed',
      String(seed),
    ];
    if (command === undefined) throw new Error('no command to start the delayer');
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(`the packet delayer for queue ${queue} was not ready within ${READY_TIMEOUT_MS} ms`),
        );
      }, READY_TIMEOUT_MS);
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString('utf8').includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the packet delayer for queue ${queue} exited with ${code}: ${stderr.trim()}`));
      });
    });
    return new PacketDelayer(queue, profile, child, exited);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM lets every held packet through; SIGKILL only if it does not exit in time. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}
