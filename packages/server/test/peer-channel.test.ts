// MemberClient: a client whose channel has been connecting for longer than the connect timeout is
// closed and replaced by a new one (grpc-js gives a connection attempt no deadline, and a TCP connect
// begun while the link dropped packets waits on the kernel's SYN retransmissions long after the link
// is back); a channel that connects, fails or idles in time is kept, and nothing is replaced once the
// member client is closed. Also with a real grpc-js channel to a peer that never answers.
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { LinkProbe } from '../src/link-probe.js';
import { MemberClient } from '../src/peer-channel.js';

const { CONNECTING, IDLE, READY, SHUTDOWN, TRANSIENT_FAILURE } = grpc.connectivityState;

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** A stand-in for a grpc-js client and its channel, whose state the test moves. */
class FakeClient {
  state: grpc.connectivityState = IDLE;
  closed = false;
  private watchers: {
    state: grpc.connectivityState;
    callback: (error?: Error) => void;
    timer: NodeJS.Timeout | null;
  }[] = [];

  getChannel(): grpc.Channel {
    const channel = {
      getConnectivityState: () => this.state,
      watchConnectivityState: (
        state: grpc.connectivityState,
        deadline: grpc.Deadline,
        callback: (error?: Error) => void,
      ) => {
        const watcher = { state, callback, timer: null as NodeJS.Timeout | null };
        if (deadline !== Number.POSITIVE_INFINITY) {
          watcher.timer = setTimeout(() => {
            this.watchers = this.watchers.filter((each) => each !== watcher);
            callback(new Error('Deadline passed without connectivity state change'));
          }, Number(deadline) - Date.now());
        }
        this.watchers.push(watcher);
      },
    };
    return channel as unknown as grpc.Channel;
  }

  moveTo(state: grpc.connectivityState): void {
    this.state = state;
    const due = this.watchers.filter((watcher) => watcher.state !== state);
    this.watchers = this.watchers.filter((watcher) => watcher.state === state);
    for (const watcher of due) {
      if (watcher.timer !== null) clearTimeout(watcher.timer);
      watcher.callback();
    }
  }

  close(): void {
    this.closed = true;
    this.moveTo(SHUTDOWN);
  }
}

function fakeMember(connectTimeoutMs: number): { member: MemberClient<FakeClient>; opened: FakeClient[] } {
  const opened: FakeClient[] = [];
  const member = new MemberClient({
    open: () => {
      const client = new FakeClient();
      opened.push(client);
      return client;
    },
    connectTimeoutMs,
  });
  return { member, opened };
}

describe('MemberClient', () => {
  it('replaces a client whose channel is still connecting after the connect timeout', async () => {
    const { member, opened } = fakeMember(50);
    const first = member.client;
    first.moveTo(CONNECTING);
    await sleep(20);
    expect(member.client, 'replaced before the timeout').to.equal(first);
    await sleep(60);
    expect(opened).to.have.length(2);
    expect(member.client).to.equal(opened[1]);
    expect(first.closed, 'the stalled client is closed').to.equal(true);
    // The new client is watched in its turn.
    member.client.moveTo(CONNECTING);
    await sleep(80);
    expect(opened).to.have.length(3);
    member.close();
  });

  it('keeps a client that connects, fails or goes idle in time, and times each attempt on its own', async () => {
    const { member, opened } = fakeMember(60);
    const client = member.client;
    client.moveTo(CONNECTING);
    await sleep(40);
    client.moveTo(READY);
    await sleep(60);
    client.moveTo(IDLE);
    client.moveTo(CONNECTING);
    await sleep(40);
    client.moveTo(TRANSIENT_FAILURE);
    await sleep(40);
    client.moveTo(CONNECTING);
    await sleep(40);
    client.moveTo(READY);
    await sleep(100);
    expect(opened).to.have.length(1);
    expect(client.closed).to.equal(false);
    member.close();
    expect(client.closed).to.equal(true);
  });

  it('replaces nothing once closed', async () => {
    const { member, opened } = fakeMember(30);
    member.client.moveTo(CONNECTING);
    member.close();
    await sleep(60);
    expect(opened).to.have.length(1);
  });

  it('gives up a real connection attempt that stalls, and the new channel tries again', async () => {
    // A peer that takes the TCP connection and never says a word: the HTTP/2 handshake waits, as
    // it would behind a link that drops packets.
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const clients: grpc.Client[] = [];
    const member = new MemberClient({
      open: () => {
        const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
          'grpc.use_local_subchannel_pool': 1,
        });
        clients.push(client);
        return client;
      },
      connectTimeoutMs: 200,
    });
    try {
      member.client.getChannel().getConnectivityState(true);
      await sleep(300);
      expect(clients.length, 'the stalled attempt was replaced').to.equal(2);
      member.client.getChannel().getConnectivityState(true);
      await sleep(300);
      expect(clients.length, 'and so was the next one').to.equal(3);
      expect(member.client).to.equal(clients.at(-1));
    } finally {
      member.close();
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });
});

/** A port nothing listens on (taken and released), for a member that is not there yet. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<number> {
  const startedAtMs = Date.now();
  while (!condition()) {
    if (Date.now() - startedAtMs > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(5);
  }
  return Date.now() - startedAtMs;
}

describe('LinkProbe', () => {
  it('reports the first connect that gets through, and nothing while the port refuses', async () => {
    const port = await freePort();
    const opened: number[] = [];
    const probe = new LinkProbe({
      address: `127.0.0.1:${port}`,
      intervalMs: 20,
      timeoutMs: 100,
      opened: (startedAtMs) => opened.push(startedAtMs),
    });
    const server = net.createServer((socket) => socket.on('error', () => {}));
    try {
      probe.start();
      await sleep(150);
      expect(opened, 'a refused connect is not an open link').to.deep.equal([]);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      const listeningAtMs = Date.now();
      await until(() => opened.length > 0, 1000);
      expect(Date.now() - listeningAtMs, 'found within an interval and a round trip').to.be.below(100);
      probe.holdOff(200);
      const count = opened.length;
      await sleep(120);
      expect(opened.length, 'no new connect while held off').to.equal(count);
      await until(() => opened.length > count, 1000);
      probe.stop();
      await sleep(10);
      expect(probe.running).to.equal(false);
      expect(probe.inFlight, 'stop abandons the connects in flight').to.equal(0);
    } finally {
      probe.stop();
      server.close();
    }
  });

  it('takes a host name and a bracketed IPv6 address', async () => {
    const server = net.createServer((socket) => socket.on('error', () => {}));
    await new Promise<void>((resolve) => server.listen(0, '::', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      for (const address of [`localhost:${port}`, `[::1]:${port}`]) {
        let opened = false;
        const probe = new LinkProbe({
          address,
          intervalMs: 20,
          timeoutMs: 200,
          opened: () => {
            opened = true;
          },
        });
        probe.start();
        await until(() => opened, 2000);
        probe.stop();
      }
    } finally {
      server.close();
    }
  });
});

describe('MemberClient with the link probe (real grpc-js channels)', () => {
  const probeTimings = {
    probeIntervalMs: 20,
    probeTimeoutMs: 100,
    replacementConnectMs: 100,
    stalledAfterMs: 300,
  };

  it('replaces a channel waiting out its reconnect backoff as soon as the member listens again', async () => {
    // grpc-js waits out its backoff before it tries again (here 10 s, to tell the two apart); the
    // probe sees the member listen within a probe interval, and a new channel connects at once.
    const port = await freePort();
    const clients: grpc.Client[] = [];
    const replaced: string[] = [];
    const member = new MemberClient({
      open: () => {
        const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
          'grpc.use_local_subchannel_pool': 1,
          'grpc.initial_reconnect_backoff_ms': 10_000,
          'grpc.max_reconnect_backoff_ms': 10_000,
        });
        clients.push(client);
        return client;
      },
      connectTimeoutMs: 5000,
      probe: { address: `127.0.0.1:${port}`, ...probeTimings },
      replaced: (reason) => replaced.push(reason),
    });
    const server = new grpc.Server();
    try {
      const channel = member.client.getChannel();
      channel.getConnectivityState(true);
      await until(() => channel.getConnectivityState(false) === TRANSIENT_FAILURE, 2000);
      member.unreachable();
      expect(member.probing).to.equal(true);
      await sleep(100);
      expect(clients, 'nothing is replaced while the member refuses connections').to.have.length(1);
      const boundPort = await new Promise<number>((resolve, reject) =>
        server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
          error === null ? resolve(bound) : reject(error),
        ),
      );
      expect(boundPort).to.equal(port);
      const listeningAtMs = Date.now();
      await until(() => member.client.getChannel().getConnectivityState(false) === READY, 3000);
      expect(Date.now() - listeningAtMs, 'connected long before the backoff ended').to.be.below(500);
      expect(clients).to.have.length(2);
      expect(replaced[0]).to.contain('TRANSIENT_FAILURE');
      expect(clients[0]?.getChannel().getConnectivityState(false), 'the old channel is closed').to.equal(
        SHUTDOWN,
      );
      member.answered();
      expect(member.probing, 'an answer stops the probe').to.equal(false);
    } finally {
      member.close();
      server.forceShutdown();
    }
  });

  it('keeps to its limits with a member that takes connections and never completes a handshake', async () => {
    // Every probe gets through, and no channel ever connects: each replacement waits twice as long
    // as the one before, up to the connect timeout.
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket.on('error', () => {})));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const replacedAtMs: number[] = [];
    const member = new MemberClient({
      open: () =>
        new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
          'grpc.use_local_subchannel_pool': 1,
        }),
      connectTimeoutMs: 800,
      probe: { address: `127.0.0.1:${port}`, ...probeTimings },
      replaced: (_reason, byProbe) => {
        if (byProbe) replacedAtMs.push(Date.now());
      },
    });
    try {
      member.client.getChannel().getConnectivityState(true);
      await sleep(20);
      const startedAtMs = Date.now();
      member.unreachable();
      await sleep(2000);
      // Waits of 100, 200, 400, 800, 800 ms...: at most 5 replacements in 2 s (the first at once).
      expect(replacedAtMs.length, 'the probe replaced the stalled channel').to.be.at.least(3);
      expect(replacedAtMs.length, 'with a growing wait').to.be.at.most(6);
      expect((replacedAtMs[0] ?? 0) - startedAtMs, 'the first at once').to.be.below(100);
      const gaps = replacedAtMs.slice(1).map((at, position) => at - (replacedAtMs[position] ?? 0));
      for (const [position, gap] of gaps.entries()) {
        expect(gap, `wait ${position + 1}`).to.be.at.least(Math.min(100 * 2 ** position, 800) - 5);
      }
    } finally {
      member.close();
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it('does not replace a connected channel that answers', async () => {
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error === null ? resolve(bound) : reject(error),
      ),
    );
    let replacements = 0;
    const member = new MemberClient({
      open: () =>
        new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
          'grpc.use_local_subchannel_pool': 1,
        }),
      connectTimeoutMs: 1000,
      probe: { address: `127.0.0.1:${port}`, ...probeTimings },
      replaced: () => {
        replacements += 1;
      },
    });
    try {
      const channel = member.client.getChannel();
      channel.getConnectivityState(true);
      await until(() => channel.getConnectivityState(false) === READY, 2000);
      // One RPC timed out, say, but the member answers the next ones: a connected channel that
      // answered within stalledAfterMs is kept, however often the probe gets through.
      member.answered();
      member.unreachable();
      await sleep(200);
      expect(replacements).to.equal(0);
      // Silent for longer than stalledAfterMs while the link is open: stalled, replaced once.
      await sleep(probeTimings.stalledAfterMs);
      await until(() => replacements === 1, 1000);
      member.answered();
      await sleep(300);
      expect(replacements).to.equal(1);
    } finally {
      member.close();
      server.forceShutdown();
    }
  });
});
