// The tandemctl binary as a shell runs it (dist/src/main.js, which `bin` points at): a reader that
// stops early must not get a stack trace (issue 12: `tandemctl --help | head` ended in an
// unhandled EPIPE).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const BINARY = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'main.js');

describe('the tandemctl binary', () => {
  it('exits 0 without a stack trace when its reader closes the pipe early', async () => {
    // The reader is gone before the help text is written (what `| head` does to a slower writer).
    const child = spawn(process.execPath, [BINARY, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exitCode = await new Promise<number | null>((resolve) =>
      child.on('close', (code) => resolve(code)),
    );
    expect(stderr, 'nothing on stderr').to.equal('');
    expect(exitCode).to.equal(0);
  });
});
