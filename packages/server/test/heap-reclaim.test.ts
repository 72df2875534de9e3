import { expect } from 'chai';
import { fullCollectionAvailable, HeapReclaim } from '../src/heap-reclaim.js';
import type { Logger } from '../src/logger.js';

/** A logger that keeps the 'heap reclaimed' lines. */
function recordingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = {
    info: (message: string, fields: Record<string, unknown>) => {
      if (message === 'heap reclaimed') lines.push(fields);
    },
    warn: () => {},
  } as unknown as Logger;
  return { logger, lines };
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('heap reclaim', () => {
  it("has V8's full collection without --expose-gc on the command line, and logs the heap around it", async () => {
    expect(fullCollectionAvailable()).to.equal(true);
    const { logger, lines } = recordingLogger();
    const reclaim = new HeapReclaim({ logger, settleMs: 0 });
    reclaim.request('a test');
    await until(() => reclaim.collections === 1);
    expect(lines).to.have.length(1);
    expect(lines[0]?.reasons).to.deep.equal(['a test']);
    for (const field of [
      'tookMs',
      'heapUsedBeforeMb',
      'heapUsedAfterMb',
      'arrayBuffersBeforeMb',
      'arrayBuffersAfterMb',
      'rssBeforeMb',
      'rssAfterMb',
    ]) {
      expect(lines[0]?.[field], field).to.be.a('number');
    }
    reclaim.stop();
  });

  it('serves the requests made while one is pending, and those within the minimum interval, with one collection each', async () => {
    const { logger, lines } = recordingLogger();
    let collections = 0;
    const reclaim = new HeapReclaim({
      logger,
      settleMs: 0,
      minIntervalMs: 100,
      collect: () => {
        collections += 1;
      },
    });
    reclaim.request('restored');
    reclaim.request('replayed');
    reclaim.request('restored');
    await until(() => collections === 1);
    expect(lines.map((line) => line.reasons)).to.deep.equal([['restored', 'replayed']]);
    reclaim.request('installed');
    reclaim.request('sent');
    await until(() => collections === 2);
    expect(lines.map((line) => line.reasons)).to.deep.equal([
      ['restored', 'replayed'],
      ['installed', 'sent'],
    ]);
    expect(reclaim.collections).to.equal(2);
    reclaim.stop();
  });

  it('waits until the node has applied nothing for the settle time', async () => {
    let nowMs = 0;
    let collections = 0;
    const reclaim = new HeapReclaim({
      logger: recordingLogger().logger,
      settleMs: 20,
      minIntervalMs: 0,
      now: () => nowMs,
      collect: () => {
        collections += 1;
      },
    });
    reclaim.request('installed');
    // The clock stands still: never 20 ms without activity, however long the timers run.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(collections).to.equal(0);
    nowMs = 30;
    reclaim.noteActivity();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(collections, 'entries applied at 30 ms').to.equal(0);
    nowMs = 50;
    await until(() => collections === 1);
    reclaim.stop();
  });

  it('drops a pending collection when stopped, and takes no more requests', async () => {
    let collections = 0;
    const reclaim = new HeapReclaim({
      logger: recordingLogger().logger,
      settleMs: 0,
      minIntervalMs: 60_000,
      collect: () => {
        collections += 1;
      },
    });
    reclaim.request('first');
    await until(() => collections === 1);
    // Within the minimum interval: pending until it ends, which the stop comes before.
    reclaim.request('second');
    reclaim.stop();
    reclaim.request('third');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(collections).to.equal(1);
  });
});
