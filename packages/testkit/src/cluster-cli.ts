// `pnpm cluster [--witness]`: a local secure cluster for trying things. Main and backup (and a
// witness with --witness) as real tandemd processes on 127.0.0.1, TLS and identities on, with their
// data and a fresh PKI under a temporary directory, and one signed demo licence activated. It
// prints one JSON line saying where everything is (each node's HTTP port, and the console's URLs
// with an admin token to log in with), then runs until SIGINT or SIGTERM, and stops
// everything it started.
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { quietIpServerNameWarning } from '@tandem/pki';
import { waitForLeader } from './cluster-checks.js';
import { activateDemoLicence, DEMO_LICENCE_ID } from './demo-licence.js';
import { TandemdPair } from './tandemd-pair.js';
import { TandemdTrio } from './tandemd-trio.js';
import { removeDirectory, temporaryDirectory } from './temporary-directory.js';

quietIpServerNameWarning();

const USAGE = 'usage: pnpm cluster [--witness] [--keep]';

async function main(): Promise<number> {
  let witness = false;
  let keep = false;
  try {
    const { values } = parseArgs({
      options: { witness: { type: 'boolean' }, keep: { type: 'boolean' }, help: { type: 'boolean' } },
    });
    if (values.help) {
      process.stdout.write(
        `${USAGE}\n  --witness  also start a witness (witness mode)\n  --keep     leave the data directory when stopping\n`,
      );
      return 0;
    }
    witness = values.witness === true;
    keep = values.keep === true;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }

  const directory = await temporaryDirectory('tandem-cluster-');
  // An admin token for the web console (a browser has no client certificate of this PKI); only its
  // sha256 goes into the nodes' configuration.
  const consoleToken = randomBytes(24).toString('base64url');
  const overrides = {
    auth: {
      tokens: [
        { name: 'console', role: 'admin', sha256: createHash('sha256').update(consoleToken).digest('hex') },
      ],
    },
  };
  const cluster = witness
    ? await TandemdTrio.start({ directory, overrides })
    : await TandemdPair.start({ directory, overrides });
  const stop = async () => {
    await cluster.stop();
    if (!keep) await removeDirectory(directory);
  };
  try {
    await waitForLeader(cluster.access, cluster.servers, 30_000, (leader) => leader.id === 'main');
    const pki = cluster instanceof TandemdTrio ? cluster.pki : cluster.requirePki();
    await activateDemoLicence(cluster.servers, cluster.access);
    const admin = await pki.certificate('admin', 'admin');
    const viewer = await pki.certificate('viewer', 'viewer');
    const workstation = await pki.certificate('workstation', 'ws-1');
    const line = {
      nodes: (['main', 'backup'] as const).map((role) => ({
        id: role,
        role,
        clientAddress: cluster.address(role),
        peerAddress: cluster.peerAddress(role),
        httpAddress: cluster.node(role).httpAddress,
      })),
      console: {
        urls: (['main', 'backup'] as const).map((role) => `https://${cluster.node(role).httpAddress}/`),
        token: consoleToken,
      },
      witness: cluster instanceof TandemdTrio ? { address: cluster.address('witness') } : null,
      pki: {
        ca: pki.caFile,
        clusterId: pki.clusterId,
        admin: { cert: admin.cert, key: admin.key },
        viewer: { cert: viewer.cert, key: viewer.key },
        workstation: { id: 'ws-1', cert: workstation.cert, key: workstation.key },
      },
      licenceId: DEMO_LICENCE_ID,
      dataDir: directory,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } catch (error) {
    await stop();
    throw error;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await stop();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`cluster failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
