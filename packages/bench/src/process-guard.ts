// The processes and directories that the benchmark made must not outlive it, however it ends:
// normally, on an error, or on Ctrl-C. A synchronous exit handler kills the guarded children with
// SIGKILL and removes the guarded directories. Only what was registered here is touched.
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const children = new Set<ChildProcess>();
const directories = new Set<string>();
let installed = false;

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function cleanUp(): void {
  for (const child of children) if (isAlive(child)) child.kill('SIGKILL');
  children.clear();
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  directories.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', cleanUp);
  const signals: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', 2],
    ['SIGTERM', 15],
    ['SIGHUP', 1],
  ];
  for (const [signal, number] of signals) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the benchmark's own processes\n`);
      cleanUp();
      process.exit(128 + number);
    });
  }
}

export function guardChild(child: ChildProcess): void {
  install();
  if (!isAlive(child)) return;
  children.add(child);
  child.once('exit', () => children.delete(child));
}

export function guardDirectory(directory: string): void {
  install();
  directories.add(directory);
}

export function releaseDirectory(directory: string): void {
  directories.delete(directory);
}
