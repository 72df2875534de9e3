import { expect } from 'chai';
import type { Logger } from '../src/logger.js';
import { SnapshotStallMonitor } from '../src/snapshot-stall-monitor.js';

describe('snapshot stall monitor', () => {
  it('logs the longest event-loop stall between a snapshot begun and taken', async () => {
    const lines: Array<{ message: string; fields: Record<string, unknown> }> = [];
    const logger = {
      info: (message: string, fields: Record<string, unknown>) => lines.push({ message, fields }),
    } as unknown as Logger;
    const monitor = new SnapshotStallMonitor(logger);
    monitor.taken(5);
    expect(lines, 'nothing begun, nothing logged').to.deep.equal([]);
    monitor.begun(10);
    await new Promise((resolve) => setTimeout(resolve, 30));
    // The event loop blocked for 120 ms, as one large slice would block it.
    const until = performance.now() + 120;
    while (performance.now() < until) {
      // busy
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    monitor.taken(10);
    expect(lines).to.have.length(1);
    expect(lines[0]?.message).to.equal('event loop during snapshot');
    expect(lines[0]?.fields.index).to.equal(10);
    expect(lines[0]?.fields.longestStallMs).to.be.at.least(100);
    monitor.stop();
  });
});
