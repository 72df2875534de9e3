import { createServer, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { refusedAtConnection } from '../src/peer-transport.js';

/** A call to address that fails; resolves with its error. */
function failedCall(address: string, deadlineMs: number): Promise<grpc.ServiceError> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      '/tandem.v1.PeerService/RequestVote',
      (value: Buffer) => value,
      (value: Buffer) => value,
      Buffer.alloc(0),
      { deadline: Date.now() + deadlineMs },
      (error) => {
        client.close();
        if (error === null) reject(new Error('the call succeeded'));
        else resolve(error);
      },
    );
  });
}

/** A port that nothing listens on: bound, read, closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

describe('a vote request refused at the connection', () => {
  it('is told apart by the transport when nothing listens on the port', async () => {
    const error = await failedCall(`127.0.0.1:${await closedPort()}`, 2000);
    expect(refusedAtConnection(error), error.details).to.equal(true);
  });

  it('is not claimed for a peer that accepts the connection and never answers', async () => {
    // A process that is stopped (SIGSTOP) or cut off does not refuse: the call runs into its deadline.
    const connections = new Set<Socket>();
    const silent = createServer((socket) => connections.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const error = await failedCall(`127.0.0.1:${address.port}`, 300);
      expect(refusedAtConnection(error), error.details).to.equal(false);
    } finally {
      // The connection the call opened would keep the test process alive after the suite.
      for (const socket of connections) socket.destroy();
      silent.close();
    }
  });

  it('is not claimed without an error', () => {
    expect(refusedAtConnection(null)).to.equal(false);
  });
});
