import net from 'node:net';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { CertificateFiles, channelCredentials, serverCredentials } from '@tandem/pki';
import type { AdminServiceHandlers } from '@tandem/wire';
import { loadTandemProto } from '@tandem/wire';
import { expect } from 'chai';
import { FaultProxy } from '../src/fault-proxy.js';
import { call } from '../src/raw-client.js';
import { removeDirectory, temporaryDirectory } from '../src/temporary-directory.js';
import { TestPki } from '../src/test-pki.js';

/** A small seeded generator (mulberry32) so drop decisions repeat from run to run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

function sleep(durationMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, durationMs));
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadlineMs = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadlineMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

interface TargetSocket {
  socket: net.Socket;
  received: Buffer[];
}

/** An echo server on 127.0.0.1 that also records what each connection received. */
class EchoTarget {
  readonly sockets: TargetSocket[] = [];

  private constructor(private readonly server: net.Server) {
    server.on('connection', (socket) => {
      const entry: TargetSocket = { socket, received: [] };
      this.sockets.push(entry);
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => {
        entry.received.push(chunk);
        socket.write(chunk);
      });
    });
  }

  static async start(): Promise<EchoTarget> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return new EchoTarget(server);
  }

  get address(): string {
    const address = this.server.address() as net.AddressInfo;
    return `127.0.0.1:${address.port}`;
  }

  receivedText(index: number): string {
    const entry = this.sockets[index];
    return entry === undefined ? '' : Buffer.concat(entry.received).toString();
  }

  async close(): Promise<void> {
    for (const entry of this.sockets) entry.socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A client socket that collects everything it receives. */
class TestClient {
  readonly chunks: Buffer[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static async connect(address: string): Promise<TestClient> {
    const port = Number(address.split(':')[1]);
    const client = new TestClient(net.connect({ host: '127.0.0.1', port }));
    // A proxy that resets at accept may do so before the connect completes; that is an outcome too.
    await new Promise<void>((resolve) => {
      client.socket.once('connect', resolve);
      client.socket.once('close', resolve);
    });
    return client;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString();
  }

  async expectText(expected: string, timeoutMs = 2000): Promise<void> {
    await waitUntil(
      () => this.text().length >= expected.length,
      timeoutMs,
      `echo of ${expected.length} bytes`,
    );
    expect(this.text()).to.equal(expected);
  }
}

describe('FaultProxy', function () {
  this.timeout(10_000);
  let target: EchoTarget;
  let proxy: FaultProxy;
  const clients: TestClient[] = [];

  async function connect(): Promise<TestClient> {
    const client = await TestClient.connect(proxy.address);
    clients.push(client);
    return client;
  }

  beforeEach(async () => {
    target = await EchoTarget.start();
    proxy = await FaultProxy.start({ target: target.address });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    await proxy.close();
    await target.close();
  });

  it('passes bytes through both ways', async () => {
    expect(proxy.address).to.match(/^127\.0\.0\.1:\d+$/);
    const client = await connect();
    const payload = 'x'.repeat(1024 * 1024);
    client.socket.write('hello ');
    client.socket.write(payload);
    await client.expectText(`hello ${payload}`, 5000);
  });

  it('blackholes forward bytes while backward bytes still flow', async () => {
    const client = await connect();
    await waitUntil(() => target.sockets.length === 1, 2000, 'the target to accept');
    proxy.blackhole('forward');
    client.socket.write('lost');
    await sleep(150);
    expect(target.receivedText(0)).to.equal('');
    expect(client.text()).to.equal('');
    target.sockets[0]?.socket.write('from-target');
    await client.expectText('from-target');
    expect(client.closed).to.equal(false);
    expect(proxy.stats().bytesDropped).to.deep.equal({ forward: 4, backward: 0 });
  });

  it('blackholes backward bytes while forward bytes still flow', async () => {
    const client = await connect();
    proxy.blackhole('backward');
    client.socket.write('ping');
    await waitUntil(() => target.receivedText(0) === 'ping', 2000, 'the target to receive ping');
    target.sockets[0]?.socket.write('from-target');
    await sleep(150);
    expect(client.text()).to.equal('');
    expect(client.closed).to.equal(false);
    expect(proxy.stats().bytesDropped).to.deep.equal({ forward: 0, backward: 4 + 11 });
  });

  it('heals a blackhole without replaying the swallowed bytes', async () => {
    const client = await connect();
    proxy.blackhole('both');
    client.socket.write('lost');
    await sleep(100);
    proxy.heal();
    client.socket.write('found');
    await client.expectText('found');
    await sleep(50);
    expect(client.text()).to.equal('found');
    expect(target.receivedText(0)).to.equal('found');
  });

  it('delays each direction by at least the delay', async () => {
    const client = await connect();
    client.socket.write('warm');
    await client.expectText('warm');
    proxy.delay(150);
    const startMs = performance.now();
    client.socket.write('slow');
    await client.expectText('warmslow');
    expect(performance.now() - startMs).to.be.at.least(2 * 150 - 2);
  });

  it('keeps the order of a stream under jitter', async () => {
    const jittery = await FaultProxy.start({ target: target.address, random: seededRandom(7) });
    try {
      jittery.delay(30, 25);
      const client = await TestClient.connect(jittery.address);
      clients.push(client);
      let expected = '';
      for (let index = 0; index < 40; index += 1) {
        const piece = `<${index}>`;
        expected += piece;
        client.socket.write(piece);
        await sleep(1);
      }
      await client.expectText(expected, 5000);
    } finally {
      await jittery.close();
    }
  });

  it('delivers delayed bytes at once when healed', async () => {
    const client = await connect();
    proxy.delay(5000);
    client.socket.write('queued');
    await sleep(50);
    expect(target.receivedText(0)).to.equal('');
    proxy.heal();
    await client.expectText('queued', 1000);
  });

  it('resets every open connection', async () => {
    const first = await connect();
    const second = await connect();
    first.socket.write('a');
    second.socket.write('b');
    await first.expectText('a');
    await second.expectText('b');
    expect(proxy.stats().connectionsOpen).to.equal(2);
    proxy.resetConnections();
    await waitUntil(() => first.closed && second.closed, 2000, 'the clients to be closed');
    expect(proxy.stats()).to.include({ connectionsOpen: 0, connectionsReset: 2 });
    const third = await connect();
    third.socket.write('c');
    await third.expectText('c');
  });

  it('resets a deterministic choice of connections when dropping per connection', async () => {
    const outcomes = await dropOutcomes('connection', 1234);
    const draws = seededRandom(1234);
    const expected = outcomes.map(() => (draws() < 0.5 ? 'reset' : 'echo'));
    expect(outcomes).to.deep.equal(expected);
    expect(outcomes).to.include('reset').and.to.include('echo');
  });

  it('resets a deterministic choice of connections when dropping per chunk', async () => {
    const outcomes = await dropOutcomes('chunk', 99);
    const draws = seededRandom(99);
    // One draw for the request chunk and, if it passed, one for the echoed chunk.
    const expected = outcomes.map(() => (draws() < 0.3 || draws() < 0.3 ? 'reset' : 'echo'));
    expect(outcomes).to.deep.equal(expected);
    expect(outcomes).to.include('reset').and.to.include('echo');
  });

  async function dropOutcomes(scope: 'connection' | 'chunk', seed: number): Promise<string[]> {
    const dropping = await FaultProxy.start({ target: target.address, random: seededRandom(seed) });
    try {
      dropping.dropFraction(scope === 'connection' ? 0.5 : 0.3, scope);
      const outcomes: string[] = [];
      for (let index = 0; index < 12; index += 1) {
        const client = await TestClient.connect(dropping.address);
        clients.push(client);
        client.socket.write('ping');
        await waitUntil(() => client.closed || client.text() === 'ping', 2000, 'an echo or a reset');
        outcomes.push(client.closed ? 'reset' : 'echo');
        client.socket.end();
        await waitUntil(() => client.closed, 2000, 'the client to close');
      }
      const stats = dropping.stats();
      expect(stats.connectionsAccepted).to.equal(12);
      expect(stats.connectionsReset).to.equal(outcomes.filter((outcome) => outcome === 'reset').length);
      return outcomes;
    } finally {
      await dropping.close();
    }
  }

  it('counts connections and bytes', async () => {
    const client = await connect();
    client.socket.write(Buffer.alloc(1000, 1));
    await waitUntil(() => client.text().length === 1000, 2000, 'the echo');
    proxy.blackhole('backward');
    client.socket.write(Buffer.alloc(10, 2));
    await waitUntil(() => proxy.stats().bytesDropped.backward === 10, 2000, 'the dropped echo');
    expect(proxy.stats()).to.deep.equal({
      connectionsAccepted: 1,
      connectionsOpen: 1,
      connectionsRefused: 0,
      connectionsReset: 0,
      bytesForwarded: { forward: 1010, backward: 1000 },
      bytesDropped: { forward: 0, backward: 10 },
    });
  });

  it('refuses connections beyond the limit and resets connections whose delay queue overflows', async () => {
    const bounded = await FaultProxy.start({
      target: target.address,
      maximumConnections: 1,
      maximumDelayedBytesPerConnection: 1024,
    });
    try {
      const first = await TestClient.connect(bounded.address);
      const second = await TestClient.connect(bounded.address);
      clients.push(first, second);
      await waitUntil(() => second.closed, 2000, 'the second connection to be refused');
      expect(first.closed).to.equal(false);
      bounded.delay(1000);
      first.socket.write(Buffer.alloc(2048));
      await waitUntil(() => first.closed, 2000, 'the overflowing connection to be reset');
      expect(bounded.stats()).to.include({ connectionsRefused: 1, connectionsReset: 1, connectionsOpen: 0 });
    } finally {
      await bounded.close();
    }
  });

  it('frees its port and closes its connections on close', async () => {
    const closing = await FaultProxy.start({ target: target.address });
    const client = await TestClient.connect(closing.address);
    clients.push(client);
    const port = closing.port;
    await closing.close();
    await waitUntil(() => client.closed, 2000, 'the client to be closed');
    const again = await FaultProxy.start({ target: target.address, listenPort: port });
    expect(again.address).to.equal(`127.0.0.1:${port}`);
    await again.close();
  });

  it('rejects targets that are not loopback addresses', async () => {
    let failure: unknown;
    try {
      await FaultProxy.start({ target: '10.0.0.1:80' });
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).to.match(/loopback/);
  });
});

describe('FaultProxy in front of a gRPC server', function () {
  this.timeout(15_000);

  // As in front of a node's peer port: mutual TLS passes through the proxy untouched.
  it('cuts and heals a gRPC link over mutual TLS', async () => {
    const directory = await temporaryDirectory('tandem-fault-proxy-');
    const pki = await TestPki.create(directory);
    const serverFiles = new CertificateFiles(await pki.node('main'), { watchIntervalMs: 0 });
    const clientFiles = new CertificateFiles(await pki.node('backup'), { watchIntervalMs: 0 });
    const proto = loadTandemProto();
    const server = new grpc.Server();
    const handlers: Partial<AdminServiceHandlers> = {
      ClusterStatus: (_call, callback) => callback(null, { leaderId: 'main', nodes: [], inSync: [] }),
    };
    server.addService(proto.tandem.v1.AdminService.service, handlers as grpc.UntypedServiceImplementation);
    const serverPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', serverCredentials(serverFiles, true), (error, port) =>
        error === null ? resolve(port) : reject(error),
      );
    });
    const proxy = await FaultProxy.start({ target: `127.0.0.1:${serverPort}` });
    const client = new proto.tandem.v1.AdminService(
      proxy.address,
      channelCredentials(clientFiles, { role: 'node', name: 'main' }),
    );
    try {
      const first = await call(client, client.ClusterStatus, {}, 3000);
      expect(first.leaderId).to.equal('main');

      proxy.blackhole('both');
      let failure: grpc.ServiceError | undefined;
      try {
        await call(client, client.ClusterStatus, {}, 300);
      } catch (error) {
        failure = error as grpc.ServiceError;
      }
      expect(failure?.code).to.be.oneOf([grpc.status.DEADLINE_EXCEEDED, grpc.status.UNAVAILABLE]);

      proxy.heal();
      proxy.resetConnections();
      const healed = await callUntilAnswered(() => call(client, client.ClusterStatus, {}, 1000), 5);
      expect(healed.leaderId).to.equal('main');
      const again = await call(client, client.ClusterStatus, {}, 1000);
      expect(again.leaderId).to.equal('main');
    } finally {
      client.close();
      await proxy.close();
      server.forceShutdown();
      serverFiles.close();
      clientFiles.close();
      await removeDirectory(directory);
    }
  });
});

/** The first call after a reset may race the channel noticing it; a few attempts are allowed. */
async function callUntilAnswered<T>(attempt: () => Promise<T>, attempts: number): Promise<T> {
  let lastError: unknown;
  for (let index = 0; index < attempts; index += 1) {
    try {
      return await attempt();
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
