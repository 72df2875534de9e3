// What every command needs: the global options, a lazily created admin client, and output that is
// a human table by default or JSON with --json.
import {
  AdminClient,
  type ClientSettings,
  type ClientTlsSettings,
  InvalidArgumentError,
  loadLicensingSettingsXml,
  loadSettings,
  NotFoundError,
  parseSettings,
  RejectedError,
  SettingsError,
  TandemError,
} from '@tandem/client';
import { PkiError } from '@tandem/pki';
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
  ca?: string;
  cert?: string;
  key?: string;
  tokenFile?: string;
  insecure?: boolean;
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
    // Servers given without a settings file take their credentials from flags and the environment
    // alone; the placeholder passes validation here and is replaced below.
    const bare = (servers: string[]) => parseSettings({ servers, insecure: true });
    const settingsFile = options.settings ?? (env.TANDEM_SETTINGS || undefined);
    // A LicensingSettings.xml names the servers only: like --servers, its credentials come from the
    // flags and the environment.
    const xml = settingsFile !== undefined && /\.xml$/i.test(settingsFile);
    let fromFile = false;
    if (options.settings !== undefined && !xml) {
      base = loadSettings(options.settings);
      fromFile = true;
    } else if (options.servers !== undefined) base = bare(options.servers);
    else if (settingsFile !== undefined && xml) base = bare(loadLicensingSettingsXml(settingsFile));
    else if (env.TANDEM_SETTINGS) {
      base = loadSettings(env.TANDEM_SETTINGS);
      fromFile = true;
    } else if (env.TANDEM_SERVERS) base = bare(serverList(env.TANDEM_SERVERS));
    else throw new UsageError('no servers given: pass --servers host:port[,host:port] or --settings FILE');
    if (!fromFile) {
      base = { ...base, insecure: false };
      delete base.tls;
    }
    this.#settings = parseSettings({
      ...base,
      ...securityOverrides(options, env, base),
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
      if (error instanceof PkiError && error.field !== null) described.field = error.field;
      if (error instanceof InvalidArgumentError && error.reason !== null) described.reason = error.reason;
      this.io.stdout.write(`${JSON.stringify({ error: described }, null, 2)}\n`);
    }
    const known = error instanceof TandemError || error instanceof UsageError || error instanceof PkiError;
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
  if (error instanceof TandemError || error instanceof UsageError || error instanceof PkiError)
    return error.code;
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

/**
 * Credentials from flags (--ca, --cert, --key, --token-file, --insecure) and the environment
 * (TANDEM_CA, TANDEM_CERT, TANDEM_KEY, TANDEM_TOKEN, TANDEM_TOKEN_FILE, TANDEM_INSECURE=1), over
 * what a settings file said. A token is never taken from a flag: flags show in `ps`.
 */
function securityOverrides(
  options: GlobalOptions,
  env: Readonly<Record<string, string | undefined>>,
  base: ClientSettings,
): Partial<ClientSettings> & { tokenFile?: string } {
  const ca = options.ca ?? env.TANDEM_CA;
  const cert = options.cert ?? env.TANDEM_CERT;
  const key = options.key ?? env.TANDEM_KEY;
  const tokenFile = options.tokenFile ?? env.TANDEM_TOKEN_FILE;
  const token = env.TANDEM_TOKEN;
  const insecure = options.insecure === true || env.TANDEM_INSECURE === '1' || env.TANDEM_INSECURE === 'true';
  const overrides: Partial<ClientSettings> & { tokenFile?: string } = {};
  if (insecure) return { insecure: true, tls: undefined, token: undefined };
  if (ca !== undefined || cert !== undefined || key !== undefined) {
    // Flags replace the file's paths one by one; a missing CA is reported by parseSettings.
    const tls: Record<string, string> = {};
    const caFile = ca ?? base.tls?.ca;
    const certFile = cert ?? base.tls?.cert;
    const keyFile = key ?? base.tls?.key;
    if (caFile !== undefined) tls.ca = caFile;
    if (certFile !== undefined) tls.cert = certFile;
    if (keyFile !== undefined) tls.key = keyFile;
    overrides.tls = tls as unknown as ClientTlsSettings;
  }
  if (tokenFile !== undefined) {
    overrides.token = undefined;
    overrides.tokenFile = tokenFile;
  } else if (token !== undefined && token !== '') {
    overrides.token = token;
  }
  return overrides;
}
