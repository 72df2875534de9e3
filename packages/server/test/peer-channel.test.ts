// MemberClient: a client whose channel has been connecting for longer than the connect timeout is
// closed and replaced by a new one (grpc-js gives a connection attempt no deadline, and a TCP connect
// begun while the link dropped packets waits on the kernel's SYN retransmissions long after the link
// is back); a channel that connects, fails or idles in time is kept, and nothing is replaced once the
// member client is closed. Also with a real grpc-js channel to a peer that never answers.
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
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
  const member = new MemberClient(() => {
    const client = new FakeClient();
    opened.push(client);
    return client;
  }, connectTimeoutMs);
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
    const member = new MemberClient(() => {
      const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1,
      });
      clients.push(client);
      return client;
    }, 200);
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
