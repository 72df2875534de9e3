// Certificate rotation without a restart, under load: 16 workstations lease, report usage and
// release against a real pair while the nodes' certificates are replaced on disk (picked up when
// the files change, and on SIGHUP), and a half-written rotation (a new certificate beside the old
// key) is refused while the pair in use stays. No client operation may fail.
import { readFile, writeFile } from 'node:fs/promises';
import { connect as tlsConnect } from 'node:tls';
import { connect, type WorkstationClient } from '@tandem/client';
import { issueCertificate } from '@tandem/pki';
import {
  call,
  type LogLine,
  rawClients,
  rawClusterId,
  removeDirectory,
  signTestLicence,
  TandemdPair,
  temporaryDirectory,
  waitForEqualState,
  waitForLeader,
} from '@tandem/testkit';
import { expect } from 'chai';

const WORKSTATIONS = 16;
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** The serial number of the certificate a TLS server presents now, on a new connection. */
async function presentedSerial(
  address: string,
  ca: Buffer,
  client?: { cert: Buffer; key: Buffer },
): Promise<string> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { host, port, ca, servername: 'localhost', ALPNProtocols: ['h2'], ...(client ?? {}) },
      () => {
        const serial = socket.getPeerCertificate().serialNumber;
        socket.end();
        resolve(serial.toUpperCase());
      },
    );
    socket.on('error', reject);
  });
}

describe('certificate rotation under load (real processes)', function () {
  this.timeout(180_000);
  let directory: string;
  let pair: TandemdPair;
  const workstations: WorkstationClient[] = [];

  before(async () => {
    directory = await temporaryDirectory('tandem-rotation-');
    pair = await TandemdPair.start({ directory });
    await waitForLeader(pair.access, pair.servers, 20_000, (leader) => leader.id === 'main');
    const admin = rawClients(pair.address('main'), pair.access);
    await call(admin.admin, admin.admin.ActivateLicence, {
      requestId: 'rotation-setup',
      licenceFile: Buffer.from(
        signTestLicence(
          { licenceId: 'cad', product: 'CAD', seats: WORKSTATIONS, redundancy: true },
          await rawClusterId(admin.admin),
        ),
      ),
    });
    admin.close();
    for (let number = 0; number < WORKSTATIONS; number += 1) {
      workstations.push(
        await connect(
          await pair.settings('workstation', `ws-${number}`, { requestTimeoutMs: 2000, maxAttempts: 40 }),
        ),
      );
    }
  });

  after(async () => {
    for (const client of workstations) client.close();
    await pair?.stop();
    await removeDirectory(directory);
  });

  it("rotates both nodes' certificates with 0 client errors, and refuses a half-written rotation", async () => {
    const pki = pair.requirePki();
    const ca = await readFile(pki.caFile);
    const errors: string[] = [];
    let acknowledged = 0;
    let running = true;
    const loops = workstations.map(async (client, position) => {
      while (running) {
        try {
          const lease = await client.acquire('cad', { ttlMs: 30_000 });
          await client.reportUsage('cad', 1 + (position % 3));
          await lease.release();
          acknowledged += 3;
        } catch (error) {
          errors.push(`ws-${position}: ${(error as Error).message}`);
        }
      }
    });

    const mainFiles = await pki.node('main');
    const before = await presentedSerial(pair.address('main'), ca);
    await sleep(1500);

    // 1. A half-written rotation: a new certificate, but the old key. Refused; the old pair serves.
    const fresh = await issueCertificate(
      {
        certificatePem: await readFile(`${pki.directory}/ca.crt`, 'utf8'),
        privateKeyPem: await readFile(`${pki.directory}/ca.key`, 'utf8'),
      },
      { role: 'node', name: 'main' },
    );
    await writeFile(mainFiles.cert, fresh.certificatePem);
    await pair
      .node('main')
      .waitForLog((line: LogLine) => line.message.startsWith('certificate reload refused'), 10_000);
    expect(await presentedSerial(pair.address('main'), ca)).to.equal(before);
    // ... then the key lands: the new pair is taken.
    await writeFile(mainFiles.key, fresh.privateKeyPem);
    await pair
      .node('main')
      .waitForLog((line: LogLine) => line.message === 'certificate files reloaded', 10_000);
    const afterMain = await presentedSerial(pair.address('main'), ca);
    expect(afterMain).to.not.equal(before);
    await sleep(1500);

    // 2. The backup's certificate is replaced and the backup is told with SIGHUP.
    const backupBefore = await presentedSerial(pair.address('backup'), ca);
    await pki.rotate('node', 'backup');
    pair.node('backup').reload();
    await pair
      .node('backup')
      .waitForLog((line: LogLine) => line.message === 'certificate files reloaded', 10_000);
    expect(await presentedSerial(pair.address('backup'), ca)).to.not.equal(backupBefore);
    // The peer port presents the new certificate too, to a caller with a node certificate.
    const nodeFiles = await pki.node('main');
    const peerSerial = await presentedSerial(pair.peerAddress('backup'), ca, {
      cert: await readFile(nodeFiles.cert),
      key: await readFile(nodeFiles.key),
    });
    expect(peerSerial).to.not.equal(backupBefore);
    await sleep(2000);

    running = false;
    await Promise.all(loops);
    expect(errors, errors.slice(0, 5).join('\n')).to.deep.equal([]);
    expect(acknowledged).to.be.greaterThan(100);
    await waitForEqualState(pair.access, pair.servers, 15_000);
  });
});
