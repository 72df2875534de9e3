// A backup that is 200,000 entries behind a main that compacts every 10,000 entries catches up
// through a snapshot (InstallSnapshot, streamed in chunks) and then the log tail.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createLogger, parseConfig, Replica } from '@tandem/server';
import { LevelStorage } from '@tandem/storage';
import {
  removeDirectory,
  TandemdPair,
  temporaryDirectory,
  waitForEqualState,
  waitForLeader,
} from '@tandem/testkit';
import { expect } from 'chai';

const ENTRIES = 200_000;

/** Writes ENTRIES acknowledged operations into a data directory, in-process and fast. */
async function buildMainLog(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const config = parseConfig({
    node: { id: 'main', role: 'main', listen: '127.0.0.1:0', dataDir },
    snapshot: { everyEntries: 10_000 },
  });
  const storage = await LevelStorage.open(dataDir);
  const replica = await Replica.open({
    config,
    storage,
    logger: createLogger('error', 'main'),
    clock: () => Date.now(),
  });
  replica.start();
  await replica.waitForLeadership(5000);
  await replica.submit({
    type: 'activate_licence',
    requestId: 'activate',
    licence: {
      licenceId: 'meter',
      product: 'Meter',
      seats: 1,
      quota: null,
      validFromMs: 0,
      validUntilMs: 0,
      redundancy: true,
      features: {},
    },
  });
  const batch = 2000;
  for (let start = 0; start < ENTRIES; start += batch) {
    await Promise.all(
      Array.from({ length: batch }, (_, offset) =>
        replica.submit({
          type: 'report_usage',
          requestId: `bulk-${start + offset}`,
          licenceId: 'meter',
          workstationId: 'bulk',
          units: 1,
        }),
      ),
    );
  }
  await replica.stop();
  await storage.close();
}

describe('catch-up through a snapshot (real processes)', function () {
  this.timeout(240_000);
  let directory: string;
  let pair: TandemdPair | null = null;

  before(async () => {
    directory = await temporaryDirectory('tandem-catch-up-');
  });

  after(async () => {
    await pair?.stop();
    await removeDirectory(directory);
  });

  it('brings a backup 200,000 entries behind up to date', async () => {
    await buildMainLog(path.join(directory, 'main'));
    pair = await TandemdPair.start({ directory, overrides: { snapshot: { everyEntries: 10_000 } } });
    const leader = await waitForLeader(pair.servers, 20_000);
    expect(leader.id).to.equal('main');
    const [main, backup] = await waitForEqualState(pair.servers, 120_000);
    expect(main?.appliedIndex).to.be.greaterThan(ENTRIES);
    expect(backup?.stateHash).to.equal(main?.stateHash);
  });
});
