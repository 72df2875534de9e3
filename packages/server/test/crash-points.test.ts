import { expect } from 'chai';
import { CrashPoints, parseCrashPoint } from '../src/crash-points.js';

describe('crash points (test-only failpoints)', () => {
  it('parses point, subject and skip count, and refuses anything else by name', () => {
    expect(parseCrashPoint('after_persist:vote')).to.deep.equal({
      point: 'after_persist',
      subject: 'vote',
      skip: 0,
    });
    expect(parseCrashPoint('persist_in_flight:entries:300')).to.deep.equal({
      point: 'persist_in_flight',
      subject: 'entries',
      skip: 300,
    });
    expect(parseCrashPoint('persist_in_flight:snapshot:1')).to.deep.equal({
      point: 'persist_in_flight',
      subject: 'snapshot',
      skip: 1,
    });
    expect(() => parseCrashPoint('before_persist:vote')).to.throw(/point must be/);
    expect(() => parseCrashPoint('after_persist:term')).to.throw(/subject must be/);
    expect(() => parseCrashPoint('after_persist:vote:-1')).to.throw(/skip count/);
    expect(() => parseCrashPoint('after_persist:vote:1.5')).to.throw(/skip count/);
    expect(() => parseCrashPoint('after_persist:vote:1:2')).to.throw(/skip count/);
  });

  it('fires after the skipped occurrences of its own point and subject only', () => {
    let deaths = 0;
    const points = new CrashPoints(parseCrashPoint('after_persist:entries:2'), () => {
      deaths += 1;
    });
    const entries = new Set(['entries'] as const);
    const vote = new Set(['vote'] as const);
    points.reached('after_persist', vote);
    points.reached('persist_in_flight', entries);
    points.reached('after_persist', entries);
    points.reached('after_persist', entries);
    expect(deaths).to.equal(0);
    points.reached('after_persist', entries);
    expect(deaths).to.equal(1);
  });

  it('dies on the next turn of the event loop while a write is in flight, so the write has left', async () => {
    let deaths = 0;
    const points = new CrashPoints(parseCrashPoint('persist_in_flight:vote'), () => {
      deaths += 1;
    });
    points.reached('persist_in_flight', new Set(['vote', 'entries'] as const));
    expect(deaths).to.equal(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(deaths).to.equal(1);
  });
});
