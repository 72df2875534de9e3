import { expect } from 'chai';
import { MAX_TICKS_PER_FIRING, TickPacer } from '../src/tick-pacer.js';

describe('tick pacer', () => {
  it('follows the clock when the timer fires late', () => {
    // A 10 ms timer firing every 12 ms: 100 firings are 1,200 ms, so 120 ticks, not 100.
    const pacer = new TickPacer(10, 0);
    let ticks = 0;
    for (let firing = 1; firing <= 100; firing += 1) ticks += pacer.due(firing * 12);
    expect(ticks).to.equal(120);
    expect(pacer.dropped).to.equal(0);
  });

  it('gives no tick before a whole interval has passed', () => {
    const pacer = new TickPacer(10, 0);
    expect(pacer.due(9)).to.equal(0);
    expect(pacer.due(10)).to.equal(1);
    expect(pacer.due(19)).to.equal(0);
    expect(pacer.due(31)).to.equal(2);
    expect(pacer.due(30)).to.equal(0);
  });

  it('drops the ticks of a stall rather than delivering them later', () => {
    const pacer = new TickPacer(10, 0);
    expect(pacer.due(10)).to.equal(1);
    // Stopped for a second: one firing gives the most it may, the rest is gone.
    expect(pacer.due(1010)).to.equal(MAX_TICKS_PER_FIRING);
    expect(pacer.dropped).to.equal(100 - MAX_TICKS_PER_FIRING);
    // Timely firings afterwards give one tick each: no backlog is worked off.
    for (let firing = 1; firing <= 20; firing += 1) expect(pacer.due(1010 + firing * 10)).to.equal(1);
  });

  it('never counts more ticks over a stretch of time than whole intervals in it, plus one', () => {
    // Whatever the firing times, ticks counted between two moments (a contact read at one, a
    // timeout judged at the other) must not exceed the time between them: a witness's leader
    // lease and a follower's election timeout rest on it.
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pacer = new TickPacer(10, 0);
    const firings: { atMs: number; totalTicks: number }[] = [];
    let now = 0;
    let total = 0;
    for (let firing = 0; firing < 2000; firing += 1) {
      // Mostly late timers, sometimes stalls of up to 1.5 s.
      now += next() < 0.02 ? Math.floor(next() * 1500) : 10 + Math.floor(next() * 8);
      total += pacer.due(now);
      firings.push({ atMs: now, totalTicks: total });
    }
    for (let from = 0; from < firings.length; from += 7) {
      for (let to = from + 1; to < firings.length; to += 13) {
        const start = firings[from];
        const end = firings[to];
        if (start === undefined || end === undefined) continue;
        const ticks = end.totalTicks - start.totalTicks;
        expect(ticks).to.be.at.most(Math.floor((end.atMs - start.atMs) / 10) + 1);
      }
    }
  });
});
