// tandemctl's command line: parsing with commander, dispatch to the command functions, and the
// mapping of every outcome to an exit code. Runs in-process against injected output streams, so
// that tests call it directly; main.ts only binds it to the process.
import { DEFAULT_SETTINGS, MAX_RETRY_BACKOFF_MS } from '@tandem/client';
import { Command, CommanderError } from 'commander';
import { listAudit } from './audit-command.js';
import { drainNode, snapshot, status, transferLeadership, undrainNode, verify } from './cluster-commands.js';
import { ExitCode } from './exit-codes.js';
import { health } from './health-command.js';
import { listIncidents } from './incident-command.js';
import { listLeases, revokeLease } from './lease-commands.js';
import {
  activateLicence,
  deactivateLicence,
  listLicences,
  showLicence,
  updateLicence,
} from './licence-commands.js';
import { feature, period, positiveInteger, serverList, timeMs, timeOrNoneMs } from './option-values.js';
import {
  certificateName,
  clusterId,
  hostList,
  personRole,
  pkiInit,
  pkiIssue,
  pkiShow,
  pkiToken,
  tokenRole,
} from './pki-commands.js';
import {
  type ReportOptions,
  reportFormat,
  reportGrouping,
  reportTimeMs,
  showReport,
} from './report-command.js';
import { type CliIo, type GlobalOptions, Session } from './session.js';
import { showUsage } from './usage-command.js';

export const VERSION = '0.1.0';

type Action = () => Promise<number>;

function buildProgram(io: CliIo, session: Session, perform: (action: Action) => Promise<void>): Command {
  const program = new Command('tandemctl')
    .description('Operate a Tandem licence cluster: licences, leases, usage and the nodes themselves.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError('(run tandemctl --help for usage)')
    .option('--servers <list>', 'servers to use, main first: host:port[,host:port]', serverList)
    .option(
      '--settings <file>',
      'a client settings file (YAML, as the workstation library reads), or an ABBYY-style LicensingSettings.xml (servers only; credentials from the flags)',
    )
    .option('--json', 'print JSON for scripts instead of tables')
    .option(
      '--timeout-ms <ms>',
      `how long one call may take (default: the settings file's requestTimeoutMs, else ${DEFAULT_SETTINGS.requestTimeoutMs})`,
      positiveInteger,
    )
    .option(
      '--attempts <n>',
      `attempts per operation before giving up, all with the same request id; the pause between them ` +
        `starts at retryBackoffMs (${DEFAULT_SETTINGS.retryBackoffMs} ms by default) and doubles up to ${MAX_RETRY_BACKOFF_MS} ms ` +
        `(default: the settings file's maxAttempts, else ${DEFAULT_SETTINGS.maxAttempts})`,
      positiveInteger,
    )
    .option('--ca <file>', 'the cluster CA certificate (PEM) that the servers must chain to')
    .option('--cert <file>', "this operator's client certificate (PEM), from tandemctl pki issue")
    .option('--key <file>', 'the key of --cert (PEM)')
    .option('--token-file <file>', 'a file holding a bearer token, for sites without client certificates')
    .option('--insecure', 'plaintext without credentials, for a cluster configured with insecure: true')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 rejected by the ledger (or verify found different states), 2 usage error, ' +
        '3 cluster unavailable.\nWithout --servers or --settings, TANDEM_SERVERS or TANDEM_SETTINGS is used; credentials\n' +
        'come from --ca/--cert/--key/--token-file or TANDEM_CA, TANDEM_CERT, TANDEM_KEY, TANDEM_TOKEN, TANDEM_TOKEN_FILE.',
    );

  program
    .command('status')
    .description('ask every server for its status (no redirect) and show the cluster')
    .action(() => perform(() => status(session)));

  program
    .command('verify')
    .description("compare every data node's state hash at the leader's commit index (exit 1 if they differ)")
    .action(() => perform(() => verify(session)));

  program
    .command('health')
    .description(
      "ask every server's gRPC health service whether it serves (exit 0 if all do, else 3); no credentials needed",
    )
    .action(() => perform(() => health(session)));

  program
    .command('snapshot')
    .description('snapshot the leader (or one node) and compact its log')
    .option('--node <address>', 'snapshot this node instead of the leader')
    .action((options: { node?: string }) => perform(() => snapshot(session, options.node)));

  const licence = program.command('licence').description('activate, change and inspect licences');
  licence
    .command('activate')
    .description('activate the licence a vendor-signed licence file describes (replicated to every node)')
    .requiredOption(
      '--file <file>',
      'the licence file the vendor signed for this cluster (see tandemctl status)',
    )
    .action((options: { file: string }) => perform(() => activateLicence(session, options)));
  licence
    .command('update [id]')
    .description(
      'install a newer licence file from the vendor (--file), or change a licence within what the vendor ' +
        'signed (fewer seats, a smaller quota, a shorter validity, no redundancy); options not given stay as they are',
    )
    .option('--file <file>', 'a newer licence file (a higher serial) for the licence it names')
    .option('--product <name>', 'the product the licence is for')
    .option('--seats <n>', 'seats that may be leased at once', positiveInteger)
    .option('--quota <units>', 'units allowed per period (needs --period)', positiveInteger)
    .option('--no-quota', 'remove the quota')
    .option('--period <period>', 'the quota period: day, week or month', period)
    .option('--valid-from <time>', 'ISO 8601 time (or epoch ms) from which the licence is valid', timeMs)
    .option('--valid-until <time>', 'ISO 8601 time (or epoch ms), or "none" for no end date', timeOrNoneMs)
    .option('--redundancy', 'also served by the backup while main is down')
    .option('--no-redundancy', 'served by main only')
    .option('--feature <key=value>', 'replace the feature parameters with these (repeatable)', feature)
    .option('--clear-features', 'remove every feature parameter')
    .action((id: string | undefined, options) => perform(() => updateLicence(session, id, options)));
  licence
    .command('deactivate <id>')
    .description('deactivate a licence: no new leases')
    .action((id: string) => perform(() => deactivateLicence(session, id)));
  licence
    .command('list')
    .description('list every licence')
    .action(() => perform(() => listLicences(session)));
  licence
    .command('show <id>')
    .description('show one licence')
    .action((id: string) => perform(() => showLicence(session, id)));

  const lease = program.command('lease').description('inspect and revoke leases');
  lease
    .command('list')
    .description('list live leases')
    .option('--licence <id>', 'only the leases of this licence')
    .action((options: { licence?: string }) => perform(() => listLeases(session, options.licence)));
  lease
    .command('revoke <leaseId>')
    .description('revoke a lease; the workstation loses its seat at its next renewal')
    .requiredOption('--reason <text>', 'why, for the record')
    .action((leaseId: string, options: { reason: string }) =>
      perform(() => revokeLease(session, leaseId, options.reason)),
    );

  const usage = program.command('usage').description('usage reports against quotas');
  usage
    .command('show <licenceId>')
    .description('show recorded usage per period')
    .option('--at <time>', 'only the period containing this ISO 8601 time (or epoch ms)', timeMs)
    .action((licenceId: string, options: { at?: number }) =>
      perform(() => showUsage(session, licenceId, options.at)),
    );

  program
    .command('audit')
    .description(
      'list the audit trail: who activated, changed, deactivated, revoked, transferred or snapshotted',
    )
    .option('--since <time>', 'only records at or after this ISO 8601 time (or epoch ms)', timeMs)
    .option('--licence <id>', 'only the records about this licence')
    .option('--limit <n>', 'at most this many, the most recent (default 1000)', positiveInteger)
    .action((options: { since?: number; licence?: string; limit?: number }) =>
      perform(() => listAudit(session, options)),
    );

  const report = program
    .command('report')
    .description('usage reports for billing, per licence, workstation, user, host and period');
  for (const [kind, description] of [
    ['usage', 'units reported and usage reports refused, per licence, workstation, user and host'],
    [
      'leases',
      'lease hours, peak seats held at once, grants, renewals, releases, expiries, revocations and refused acquires',
    ],
  ] as const) {
    report
      .command(kind)
      .description(
        `${description}. The range is half-open, [--from, --to): from inclusive, to exclusive, both on ` +
          'whole UTC hours; figures are kept per hour, in the leader’s entry time, for reports.retentionDays',
      )
      .requiredOption(
        '--from <time>',
        'start, inclusive: ISO 8601 date or time (UTC unless it has an offset) or epoch ms',
        reportTimeMs,
      )
      .requiredOption(
        '--to <time>',
        'end, exclusive: ISO 8601 date or time (UTC unless it has an offset) or epoch ms',
        reportTimeMs,
      )
      .option('--licence <id>', 'only this licence')
      .option(
        '--by <period>',
        'one row per hour, day (default), week (ISO), month (UTC) or total',
        reportGrouping,
      )
      .option('--format <format>', 'table (default), csv or json', reportFormat)
      .option(
        '--node <address>',
        'ask this node (each node answers from its own index) instead of the first that answers',
      )
      .option(
        '--limit <n>',
        "at most this many rows (default and most: the node's reports.maxRows)",
        positiveInteger,
      )
      .action((options: ReportOptions) => perform(() => showReport(session, kind, options)));
  }

  program
    .command('incidents')
    .description('list overdraft incidents: licences a pair-mode merge took over a limit')
    .option('--open', 'only the incidents still open')
    .action((options: { open?: boolean }) => perform(() => listIncidents(session, options.open === true)));

  const cluster = program.command('cluster').description('cluster operations');
  cluster
    .command('transfer-leadership')
    .description(
      'hand leadership to another node (in pair and witness modes the main takes it back once in sync; ' +
        'for maintenance use cluster drain)',
    )
    .requiredOption('--to <id>', 'the node id to hand leadership to')
    .action((options: { to: string }) => perform(() => transferLeadership(session, options.to)));
  cluster
    .command('drain')
    .description(
      'take a data node out of leadership for maintenance (admin): leadership moves to the other data node ' +
        'and stays there, across restarts of either, until undrain; refused when no other node is in sync',
    )
    .argument('<node>', 'the data node id to drain (main or backup)')
    .addHelpText(
      'after',
      [
        '',
        'Rolling upgrade without a gap (see docs/operator-guide.md):',
        '  1. tandemctl cluster drain main      the backup leads; status shows "drained: main"',
        '  2. stop main (SIGTERM), upgrade it, start it',
        '  3. wait until tandemctl status shows main in sync (lag 0)',
        '  4. tandemctl cluster undrain main    main takes leadership back once in sync',
        '  5. stop the backup, upgrade it, start it, wait until it is in sync',
      ].join('\n'),
    )
    .action((node: string) => perform(() => drainNode(session, node)));
  cluster
    .command('undrain')
    .description(
      'end a drain (admin): the node may lead again; a main takes leadership back once it is in sync',
    )
    .argument('<node>', 'the data node id to undrain')
    .action((node: string) => perform(() => undrainNode(session, node)));

  // Files only: these never need --servers.
  const pki = program.command('pki').description('the cluster CA and its certificates (files; no server)');
  pki
    .command('init')
    .description('create a cluster CA: DIR/ca.crt and DIR/ca.key, with a new cluster id')
    .requiredOption('--dir <dir>', 'the directory for ca.crt and ca.key')
    .option('--cluster-id <id>', 'the cluster id (default: a random UUID)', clusterId)
    .option('--days <n>', 'days the CA is valid (default 3650)', positiveInteger)
    .option('--force', 'replace an existing CA (every certificate it issued stops being trusted)')
    .action((options) => perform(() => pkiInit(session, options)));
  pki
    .command('issue')
    .description('issue a certificate and key from the CA in --dir: <name>.crt and <name>.key')
    .requiredOption('--dir <dir>', 'the directory holding ca.crt and ca.key')
    .option('--node <id>', 'a node certificate (tandem://node/ID)', certificateName)
    .option('--witness <id>', 'a witness certificate (tandem://witness/ID)', certificateName)
    .option('--operator <name>', 'a person; --role says what they may do', certificateName)
    .option('--role <role>', 'with --operator: viewer, operator or admin', personRole)
    .option('--workstation <id>', 'a workstation certificate (tandem://workstation/ID)', certificateName)
    .option(
      '--host <host>',
      'a DNS name or IP address of a node or witness (repeatable; default localhost and 127.0.0.1)',
      hostList,
    )
    .option('--out <dir>', 'where to write the files (default: --dir)')
    .option('--days <n>', 'days the certificate is valid (default 365)', positiveInteger)
    .action((options) => perform(() => pkiIssue(session, options)));
  pki
    .command('show <file>')
    .description('show what a certificate file says: names, identity, validity, fingerprint')
    .action((file: string) => perform(() => pkiShow(session, file)));
  pki
    .command('token')
    .description('make a bearer token and the auth.tokens entry (its sha256) for the servers')
    .requiredOption('--name <name>', 'who holds it (for a workstation: its id)', certificateName)
    .requiredOption('--role <role>', 'workstation, viewer, operator or admin', tokenRole)
    .option('--out <file>', 'write the token to this file (0600) instead of printing it')
    .action((options) => perform(() => pkiToken(session, options)));

  return program;
}

function commanderExitCode(error: CommanderError): number {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
  // Help shown because a command was missing is a usage error; help asked for is not.
  if (error.code === 'commander.help') return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  return ExitCode.usage;
}

/** Runs tandemctl with `argv` (the arguments after the program name) and returns the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let program: Command | null = null;
  const session = new Session(io, () => program?.opts<GlobalOptions>() ?? {});
  let exitCode: number = ExitCode.ok;
  program = buildProgram(io, session, async (action) => {
    exitCode = await action();
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExitCode(error);
    return session.fail(error);
  } finally {
    session.close();
  }
}
