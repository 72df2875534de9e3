// The peer listener's HTTP/2 receive windows: a member sending a snapshot or a catch-up's appends
// must not wait for a window update every 64 KiB (Node's default). A real grpc-js server and a
// plain Node http2 client read what the server announces.
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import type { TandemConfig } from '../src/config.js';
import {
  PEER_CONNECTION_WINDOW_REQUESTS,
  PEER_STREAM_WINDOW_REQUESTS,
  widenReceiveWindows,
} from '../src/listener.js';
import { createLogger } from '../src/logger.js';

const MAX_REQUEST_BYTES = 1024 * 1024;
const DEFAULT_WINDOW_BYTES = 65_535;

async function listen(widen: boolean): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  if (widen) {
    const config = { limits: { maxRequestBytes: MAX_REQUEST_BYTES } } as TandemConfig;
    expect(widenReceiveWindows(server, config, createLogger('error', 'test'))).to.equal(true);
  }
  return { server, port };
}

/** What the server announced once its settings have arrived and a round trip has passed. */
async function announced(
  port: number,
): Promise<{ streamWindowBytes: number; connectionWindowBytes: number }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    await new Promise<void>((resolve, reject) => {
      session.once('error', reject);
      session.once('remoteSettings', () => resolve());
    });
    // The widened settings and window update follow the server's first SETTINGS frame: a ping's
    // answer comes after them.
    await new Promise<void>((resolve, reject) =>
      session.ping((error) => (error === null ? resolve() : reject(error))),
    );
    return {
      streamWindowBytes: session.remoteSettings.initialWindowSize ?? DEFAULT_WINDOW_BYTES,
      connectionWindowBytes: session.state.remoteWindowSize ?? DEFAULT_WINDOW_BYTES,
    };
  } finally {
    session.close();
  }
}

describe('peer listener receive windows', () => {
  const servers: grpc.Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.forceShutdown();
  });

  it('announces windows of several requests per stream and per connection', async () => {
    const { server, port } = await listen(true);
    servers.push(server);
    const windows = await announced(port);
    expect(windows.streamWindowBytes).to.equal(PEER_STREAM_WINDOW_REQUESTS * MAX_REQUEST_BYTES);
    expect(windows.connectionWindowBytes).to.equal(PEER_CONNECTION_WINDOW_REQUESTS * MAX_REQUEST_BYTES);
  });

  it('leaves a listener that is not widened at 64 KiB', async () => {
    const { server, port } = await listen(false);
    servers.push(server);
    expect(await announced(port)).to.deep.equal({
      streamWindowBytes: DEFAULT_WINDOW_BYTES,
      connectionWindowBytes: DEFAULT_WINDOW_BYTES,
    });
  });
});
