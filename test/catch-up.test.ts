// A backup that is 200,000 entries behind a main that compacts every 10,000 entries catches up
// through a snapshot (InstallSnapshot, streamed in chunks) and then the log tail.
import path from 'node:path';
import {
  buildBulkLog,
  removeDirectory,
  TandemdPair,
  temporaryDirectory,
  waitForEqualState,
  waitForLeader,
} from '@tandem/testkit';
import { expect } from 'chai';

const ENTRIES = 200_000;

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
    await buildBulkLog({
      dataDir: path.join(directory, 'main'),
      operations: ENTRIES,
      liveLeases: 0,
      snapshotEveryEntries: 10_000,
    });
    pair = await TandemdPair.start({ directory, overrides: { snapshot: { everyEntries: 10_000 } } });
    const leader = await waitForLeader(pair.access, pair.servers, 20_000);
    expect(leader.id).to.equal('main');
    const [main, backup] = await waitForEqualState(pair.access, pair.servers, 120_000);
    expect(main?.appliedIndex).to.be.greaterThan(ENTRIES);
    expect(backup?.stateHash).to.equal(main?.stateHash);
  });
});
