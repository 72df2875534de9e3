import { existsSync } from 'node:fs';
import net from 'node:net';
import { expect } from 'chai';
import { repositoryRoot } from '../src/paths.js';
import { freePort } from '../src/ports.js';
import { removeDirectory, temporaryDirectory } from '../src/temporary-directory.js';

describe('testkit helpers', () => {
  it('finds a loopback port that can be bound', async () => {
    const port = await freePort();
    expect(port).to.be.within(1, 65535);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it('creates and removes temporary directories', async () => {
    const directory = await temporaryDirectory('tandem-testkit-');
    expect(existsSync(directory)).to.equal(true);
    await removeDirectory(directory);
    expect(existsSync(directory)).to.equal(false);
  });

  it('finds the repository root', () => {
    expect(existsSync(`${repositoryRoot()}/pnpm-workspace.yaml`)).to.equal(true);
  });
});
