// Free loopback ports for processes that must know their address before they start.
import net from 'node:net';

/**
 * Ports this process already handed out. The kernel may give the same free port to two binds in a
 * row once the first is closed (seen on a loaded CI machine: a pair's two nodes got one port), so
 * a port is never handed out twice by one process.
 */
const handedOut = new Set<number>();
const MAX_ATTEMPTS = 50;

function bindOnce(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port'));
        else resolve(address.port);
      });
    });
  });
}

/** A loopback port that was free a moment ago and that this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const port = await bindOnce();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no unused loopback port after ${MAX_ATTEMPTS} attempts`);
}
