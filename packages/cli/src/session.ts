// What every command needs: the global options, a lazily created admin client, and output that is
// a human table by default or JSON with --json.
import {
  AdminClient,
  type ClientSettings,
  InvalidArgumentError,
  loadSettings,
  NotFoundError,
  parseSettings,
  RejectedError,
  SettingsError,
  TandemError,
} from '@tandem/client';
import { ExitCode, exitCodeFor, UsageError } from './exit-codes.js';
import { serverList } from './option-values.js';
import { escapeControl } from './table.js';

/** Each line of human output with its control characters escaped (tables escape their cells already). */
function printable(text: string): string {
  return text.split('\n').map(escapeControl).join('\n');
}

export interface CliOutput {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
  /** TANDEM_SERVERS and TANDEM_SETTINGS are read from here when no flag names the servers. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface GlobalOptions {
  servers?: string[];
  settings?: string;
  json?: boolean;
  timeoutMs?: number;
  attempts?: number;
}

export class Session {
  readonly io: CliIo;
  readonly #options: () => GlobalOptions;
  #settings: ClientSettings | null = null;
  #admin: AdminClient | null = null;

  constructor(io: CliIo, options: () => GlobalOptions) {
    this.io = io;
    this.#options = options;
  }

  get json(): boolean {
    return this.#options().json === true;
  }

  /** The client settings from --settings or --servers (or the environment), with flag overrides. */
  settings(): ClientSettings {
    if (this.#settings !== null) return this.#settings;
    const options = this.#options();
    const env = this.io.env ?? {};
    let base: ClientSettings;
    if (options.settings !== undefined) base = loadSettings(options.settings);
    else if (options.servers !== undefined) base = parseSettings({ servers: options.servers });
    else if (env.TANDEM_SETTINGS) base = loadSettings(env.TANDEM_SETTINGS);
    else if (env.TANDEM_SERVERS) base = parseSettings({ servers: serverList(env.TANDEM_SERVERS) });
    else throw new UsageError('no servers given: pass --servers host:port[,host:port] or --settings FILE');
    this.#settings = parseSettings({
      ...base,
      servers: options.servers ?? base.servers,
      requestTimeoutMs: options.timeoutMs ?? base.requestTimeoutMs,
      maxAttempts: options.attempts ?? base.maxAttempts,
    });
    return this.#settings;
  }

  admin(): AdminClient {
    this.#admin ??= new AdminClient(this.settings());
    return this.#admin;
  }

  /** Writes `value` as JSON with --json (which escapes control characters), or the human rendering. */
  print(value: unknown, human: () => string): void {
    this.io.stdout.write(this.json ? `${JSON.stringify(value, null, 2)}\n` : printable(human()));
  }

  /** Reports an error the way scripts and people both can read, and returns the exit code. */
  fail(error: unknown): number {
    const exitCode = exitCodeFor(error);
    const message = error instanceof Error ? error.message : String(error);
    if (this.json) {
      const described: Record<string, unknown> = { code: errorCode(error), message, exitCode };
      if (error instanceof RejectedError) described.reason = error.reason;
      if (error instanceof NotFoundError) described.reason = error.reason;
      if (error instanceof InvalidArgumentError || error instanceof SettingsError)
        described.field = error.field;
      if (error instanceof InvalidArgumentError && error.reason !== null) described.reason = error.reason;
      this.io.stdout.write(`${JSON.stringify({ error: described }, null, 2)}\n`);
    }
    const known = error instanceof TandemError || error instanceof UsageError;
    const detail = known || !(error instanceof Error) ? message : (error.stack ?? message);
    // A server's message may echo what a client sent: it is printed escaped.
    this.io.stderr.write(`tandemctl: ${describeExit(exitCode)}: ${printable(detail)}\n`);
    return exitCode;
  }

  close(): void {
    this.#admin?.close();
    this.#admin = null;
  }
}

function errorCode(error: unknown): string {
  if (error instanceof TandemError || error instanceof UsageError) return error.code;
  return 'internal';
}

function describeExit(exitCode: number): string {
  switch (exitCode) {
    case ExitCode.usage:
      return 'usage error';
    case ExitCode.unavailable:
      return 'cluster unavailable';
    default:
      return 'error';
  }
}
