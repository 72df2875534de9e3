import { expect } from 'chai';
import type { Logger } from '../src/logger.js';
import { RefusalLog } from '../src/refusal-log.js';

describe('refusal log', () => {
  it('logs one line per kind per window and says how many it left out', () => {
    const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const logger = {
      warn: (message: string, fields: Record<string, unknown>) =>
        lines.push({ level: 'warn', message, fields }),
      info: (message: string, fields: Record<string, unknown>) =>
        lines.push({ level: 'info', message, fields }),
    } as unknown as Logger;
    let now = 0;
    const refusals = new RefusalLog({ logger, clock: () => now, windowMs: 1000 });
    for (let count = 0; count < 190_000; count += 1) refusals.note('a', 'refused', { count });
    refusals.note('b', 'rejected', {}, 'info');
    expect(lines).to.have.length(2);
    now = 1000;
    refusals.note('a', 'refused', { count: 'next' });
    expect(lines.map((line) => [line.level, line.fields.kind, line.fields.suppressed])).to.deep.equal([
      ['warn', 'a', undefined],
      ['info', 'b', undefined],
      ['warn', 'a', 189_999],
    ]);
  });
});
