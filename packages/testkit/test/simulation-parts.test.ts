// The simulation's building blocks: the seeded generator, the timed queue, the network, and the
// matching of answers to requests.
import type { Message } from '@tandem/consensus';
import { expect } from 'chai';
import { CLEAN_LINK, type LinkFaults, SimulatedNetwork } from '../src/simulation/network.js';
import { isAnswer, PendingAnswers } from '../src/simulation/pending-answers.js';
import { SimulationRandom } from '../src/simulation/random.js';
import { TimedQueue } from '../src/simulation/timed-queue.js';

function draw(random: SimulationRandom, count: number): number[] {
  return Array.from({ length: count }, () => random.nextUint32());
}

function network(faults: Partial<LinkFaults> = {}, seed = 1, maxInFlightPerLink = 1000) {
  return new SimulatedNetwork<string>(new SimulationRandom(seed), {
    defaultFaults: { ...CLEAN_LINK, ...faults },
    maxInFlightPerLink,
    maxInFlight: 10_000,
    copyPayload: (payload) => payload,
  });
}

function drain(net: SimulatedNetwork<string>, untilMs: number): { payload: string; atMs: number }[] {
  const delivered: { payload: string; atMs: number }[] = [];
  for (let delivery = net.takeDue(untilMs); delivery !== null; delivery = net.takeDue(untilMs)) {
    delivered.push({ payload: delivery.payload, atMs: delivery.deliverAtMs });
  }
  return delivered;
}

describe('simulation random', () => {
  it('replays the same sequence from the same seed and differs between seeds', () => {
    expect(draw(new SimulationRandom(42), 50)).to.deep.equal(draw(new SimulationRandom(42), 50));
    expect(draw(new SimulationRandom(42), 50)).to.not.deep.equal(draw(new SimulationRandom(43), 50));
    // Seeds above 2^32 count with all their bits.
    expect(draw(new SimulationRandom(2 ** 40 + 7), 5)).to.not.deep.equal(draw(new SimulationRandom(7), 5));
  });

  it('keeps its helpers within their bounds and roughly uniform', () => {
    const random = new SimulationRandom(7);
    const counts = new Array(6).fill(0) as number[];
    for (let draws = 0; draws < 60_000; draws += 1) {
      const value = random.int(1, 6);
      expect(value).to.be.within(1, 6);
      counts[value - 1] = (counts[value - 1] ?? 0) + 1;
    }
    for (const count of counts) expect(count).to.be.within(9_000, 11_000);
    for (let draws = 0; draws < 1000; draws += 1) {
      const value = random.float();
      expect(value >= 0 && value < 1).to.equal(true);
    }
    expect(random.chance(0)).to.equal(false);
    expect(random.chance(1)).to.equal(true);
    expect(() => random.int(3, 2)).to.throw(/empty range/);
    expect(() => random.pick([])).to.throw(/at least one/);
  });

  it('shuffles into a permutation and forks independent streams', () => {
    const random = new SimulationRandom(3);
    const shuffled = random.shuffle([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...shuffled].sort()).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    const parent = new SimulationRandom(9);
    const first = parent.fork('network');
    const second = parent.fork('network');
    expect(draw(first, 10)).to.not.deep.equal(draw(second, 10));
    expect(draw(new SimulationRandom(9).fork('a'), 10)).to.deep.equal(
      draw(new SimulationRandom(9).fork('a'), 10),
    );
  });
});

describe('simulation timed queue', () => {
  it('pops by time, then in push order, and refuses items beyond its bound', () => {
    const queue = new TimedQueue<string>(4);
    expect(queue.push(5, 'c')).to.equal(true);
    expect(queue.push(1, 'a')).to.equal(true);
    expect(queue.push(5, 'd')).to.equal(true);
    expect(queue.push(3, 'b')).to.equal(true);
    expect(queue.push(2, 'overflow')).to.equal(false);
    expect(queue.popDue(0)).to.equal(null);
    const order: string[] = [];
    for (let due = queue.popDue(10); due !== null; due = queue.popDue(10)) order.push(due.item);
    expect(order).to.deep.equal(['a', 'b', 'c', 'd']);
  });
});

describe('simulation network', () => {
  it('delivers within the link delay, reordering through jitter', () => {
    const net = network({ minDelayMs: 5, maxDelayMs: 50 });
    for (let number = 0; number < 200; number += 1) net.send('a', 'b', String(number), 0);
    const delivered = drain(net, 1000);
    expect(delivered).to.have.length(200);
    for (const { atMs } of delivered) expect(atMs).to.be.within(5, 50);
    const order = delivered.map(({ payload }) => Number(payload));
    expect(order).to.not.deep.equal([...order].sort((a, b) => a - b));
    expect(net.statistics.delivered).to.equal(200);
  });

  it('loses, duplicates and holds back messages as configured', () => {
    const lossy = network({ lossProbability: 1 });
    let settled: boolean | null = null;
    lossy.send('a', 'b', 'x', 0, (delivered) => {
      settled = delivered;
    });
    expect(drain(lossy, 1000)).to.have.length(0);
    expect(settled).to.equal(false);
    expect(lossy.statistics.lost).to.equal(1);

    const doubled = network({ duplicationProbability: 1 });
    doubled.send('a', 'b', 'x', 0);
    expect(drain(doubled, 1000).map(({ payload }) => payload)).to.deep.equal(['x', 'x']);

    const held = network({ reorderProbability: 1, reorderDelayMs: 100 });
    held.send('a', 'b', 'x', 0);
    expect(drain(held, 3)).to.have.length(0);
    expect(drain(held, 200)).to.have.length(1);
  });

  it('cuts one direction or both until a time, dropping messages in flight', () => {
    const net = network({ minDelayMs: 10, maxDelayMs: 10 });
    net.send('a', 'b', 'in flight', 0);
    net.cut('a', 'b', 50);
    net.send('a', 'b', 'sent into the cut', 5);
    net.send('b', 'a', 'other way', 5);
    expect(drain(net, 40).map(({ payload }) => payload)).to.deep.equal(['other way']);
    net.send('a', 'b', 'after the cut', 50);
    expect(drain(net, 100).map(({ payload }) => payload)).to.deep.equal(['after the cut']);
    net.cutBothWays('a', 'b', Number.POSITIVE_INFINITY);
    expect(net.isCut('b', 'a', 1_000_000)).to.equal(true);
    net.heal();
    expect(net.isCut('b', 'a', 1_000_000)).to.equal(false);
    expect(net.statistics.cut).to.equal(2);
  });

  it('bounds the messages in flight per link', () => {
    const net = network({}, 1, 3);
    for (let number = 0; number < 5; number += 1) net.send('a', 'b', String(number), 0);
    net.send('a', 'c', 'other link', 0);
    expect(net.inFlight).to.equal(4);
    expect(net.statistics.overflowed).to.equal(2);
  });

  it('decides the same fates for the same seed', () => {
    const run = (seed: number) => {
      const net = network({ lossProbability: 0.3, duplicationProbability: 0.2, maxDelayMs: 30 }, seed);
      for (let number = 0; number < 100; number += 1) net.send('a', 'b', String(number), number);
      return drain(net, 10_000);
    };
    expect(run(5)).to.deep.equal(run(5));
    expect(run(5)).to.not.deep.equal(run(6));
  });
});

describe('simulation pending answers (which request an answer answers)', () => {
  const append = (from: string, to: string): Message => ({
    type: 'append_entries',
    from,
    to,
    term: 1,
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [],
    leaderCommit: 0,
  });
  const answer = (from: string, to: string): Message => ({
    type: 'append_entries_response',
    from,
    to,
    term: 1,
    success: true,
    matchIndex: 0,
    conflictIndex: 0,
    conflictTerm: 0,
  });

  it('gives each answer the send time of the oldest request of its kind from that peer', () => {
    const pending = new PendingAnswers(10, 100);
    pending.received(append('main', 'backup'), 5, 10);
    pending.received(append('main', 'backup'), 7, 11);
    pending.received(append('witness', 'backup'), 9, 11);
    expect(pending.answering(answer('backup', 'main'), 12)).to.equal(5);
    expect(pending.answering(answer('backup', 'witness'), 12)).to.equal(9);
    expect(pending.answering(answer('backup', 'main'), 12)).to.equal(7);
    expect(pending.answering(answer('backup', 'main'), 12), 'nothing waits').to.equal(undefined);
    expect(isAnswer(answer('backup', 'main'))).to.equal(true);
    expect(isAnswer(append('main', 'backup'))).to.equal(false);
  });

  it('forgets requests past their wait and keeps at most its bound per kind', () => {
    const pending = new PendingAnswers(2, 100);
    pending.received(append('main', 'backup'), 1, 0);
    pending.received(append('main', 'backup'), 2, 50);
    pending.received(append('main', 'backup'), 3, 60);
    expect(pending.answering(answer('backup', 'main'), 120), 'the first is forgotten').to.equal(2);
    expect(pending.answering(answer('backup', 'main'), 120), 'the third was over the bound').to.equal(
      undefined,
    );
  });
});
