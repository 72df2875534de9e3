// Runs the real tandemctl binary and captures what it prints.
import { spawn } from 'node:child_process';
import { tandemctlEntry } from './paths.js';

export interface TandemctlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runTandemctl(args: string[], timeoutMs = 30_000): Promise<TandemctlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tandemctlEntry(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tandemctl ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs tandemctl with --json and parses its output; throws with stderr when it fails. */
export async function tandemctlJson<T = unknown>(args: string[]): Promise<T> {
  const result = await runTandemctl([...args, '--json']);
  if (result.code !== 0) {
    throw new Error(`tandemctl ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  }
  return JSON.parse(result.stdout) as T;
}
