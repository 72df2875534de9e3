import { expect } from 'chai';
import type { Logger } from '../src/logger.js';
import { STALL_LOG_INTERVAL_MS, StallLog } from '../src/stall-log.js';

describe('the stall log', () => {
  it('writes at most one line per interval, with the stalls since the last line and the longest', () => {
    const lines: Array<{ message: string; meta: Record<string, unknown> }> = [];
    const logger = {
      warn: (message: string, meta: Record<string, unknown>) => lines.push({ message, meta }),
    } as unknown as Logger;
    let nowMs = 1_000;
    const log = new StallLog(logger, () => nowMs);
    log.note(180.4);
    expect(lines).to.deep.equal([
      { message: 'the event loop stalled', meta: { stalledMs: 180, stalls: 1, longestMs: 180 } },
    ]);
    nowMs += 100;
    log.note(1_500);
    nowMs += 100;
    log.note(300);
    expect(lines.length).to.equal(1);
    nowMs += STALL_LOG_INTERVAL_MS;
    log.note(120);
    expect(lines[1]).to.deep.equal({
      message: 'the event loop stalled',
      meta: { stalledMs: 120, stalls: 3, longestMs: 1_500 },
    });
  });
});
