import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { expect } from 'chai';
import { maxTicksPerFiring, startTickTimer } from '../src/tick-timer.js';

function busyWait(milliseconds: number): void {
  const until = performance.now() + milliseconds;
  while (performance.now() < until) {
    // The event loop is blocked, as by a long apply or a stopped process.
  }
}

describe('the tick timer', () => {
  it('gives at most a heartbeat interval of ticks per firing, and at least the pacer minimum', () => {
    expect(maxTicksPerFiring(10, 100)).to.equal(10);
    expect(maxTicksPerFiring(10, 20)).to.equal(5);
  });

  it('hands the ticks of a stall over only after the messages that waited during it', async () => {
    const events: string[] = [];
    const server = createServer((socket) => {
      socket.on('data', () => events.push('message'));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const client: Socket = createConnection(address.port, '127.0.0.1');
    await once(client, 'connect');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const timer = startTickTimer({
      tickIntervalMs: 10,
      heartbeatIntervalMs: 100,
      tick: () => events.push('tick'),
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      events.length = 0;
      // A message arrives while the loop is blocked past many tick intervals.
      client.write('heartbeat');
      busyWait(300);
      await new Promise((resolve) => setTimeout(resolve, 30));
      const firstMessage = events.indexOf('message');
      expect(firstMessage, events.join(' ')).to.be.at.least(0);
      // The stall's ticks (10, the most one firing gives) come after the message, not before it.
      expect(events.slice(0, firstMessage), events.join(' ')).to.deep.equal([]);
      const burst = events.slice(firstMessage + 1);
      expect(burst.filter((event) => event === 'tick').length, events.join(' ')).to.be.at.least(10);
    } finally {
      clearInterval(timer);
      client.destroy();
      server.close();
    }
  });

  it('reports a firing that comes more than a heartbeat interval after the one before', async () => {
    const stalls: number[] = [];
    const timer = startTickTimer({
      tickIntervalMs: 10,
      heartbeatIntervalMs: 100,
      tick: () => undefined,
      stalled: (stalledMs) => stalls.push(stalledMs),
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 60));
      // A loaded machine may delay a firing by more than a heartbeat on its own; this one is certain.
      const before = stalls.length;
      busyWait(250);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(
        stalls.slice(before).some((stalledMs) => stalledMs >= 250),
        String(stalls),
      ).to.equal(true);
    } finally {
      clearInterval(timer);
    }
  });
});
