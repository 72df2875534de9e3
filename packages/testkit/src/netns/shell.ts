// Runs the system tools the lab drives (ip, iptables, tc, cc) with a deadline, and turns a failure
// into an error that names the command and quotes what it printed.
import { execFile, execFileSync } from 'node:child_process';

/** No lab command takes long; one that does is stuck (an iptables lock, a hung namespace). */
export const COMMAND_TIMEOUT_MS = 15_000;
/** Output beyond this is a runaway command, not something the lab parses. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

export class LabCommandError extends Error {
  readonly code = 'lab_command_failed';
  readonly retryable = false;
  constructor(
    readonly argv: readonly string[],
    readonly stderr: string,
    cause: unknown,
  ) {
    super(`${argv.join(' ')} failed: ${stderr.trim() || (cause as Error).message}`, { cause });
    this.name = 'LabCommandError';
  }
}

/** Runs argv[0] with the rest as arguments; resolves with stdout, rejects with LabCommandError. */
export function runCommand(argv: readonly string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<string> {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('runCommand needs a command');
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: timeoutMs, maxBuffer: MAX_OUTPUT_BYTES, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else reject(new LabCommandError(argv, stderr, error));
      },
    );
  });
}

/** The synchronous form, for teardown on process exit where nothing asynchronous runs any more. */
export function runCommandSync(argv: readonly string[], timeoutMs = COMMAND_TIMEOUT_MS): string {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('runCommandSync needs a command');
  try {
    return execFileSync(command, args, {
      timeout: timeoutMs,
      maxBuffer: MAX_OUTPUT_BYTES,
      killSignal: 'SIGKILL',
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    throw new LabCommandError(argv, stderr, error);
  }
}
