// The network-namespace lab itself: every host reaches every other over the bridge and nothing
// lands in the root namespace; a cut drops one direction only; delay, jitter and loss have the
// configured size; heal restores the link; and teardown leaves no namespace behind, whether the
// lab is destroyed, its process exits, or its process is killed.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  NETNS_PREFIX,
  NetnsLab,
  removeDirectory,
  repositoryRoot,
  runCommand,
  temporaryDirectory,
} from '@tandem/testkit';
import { expect } from 'chai';
import { requireNetns } from './netns-gate.js';

// A small probe run inside the namespaces: a TCP echo server and round-trip timer, and a UDP
// sender and counter, so that one direction of a link can be observed on its own.
const PROBE = `
import dgram from 'node:dgram';
import net from 'node:net';
const [mode, host, port, count, pauseMs] = process.argv.slice(2);
if (mode === 'echo') {
  net.createServer((socket) => socket.pipe(socket)).listen(Number(port), host, () => console.log('ready'));
} else if (mode === 'rtt') {
  const socket = net.connect(Number(port), host);
  socket.setNoDelay(true);
  socket.setTimeout(3000, () => { console.log(JSON.stringify({ error: 'timeout' })); process.exit(0); });
  socket.on('error', (error) => { console.log(JSON.stringify({ error: error.code })); process.exit(0); });
  socket.on('connect', async () => {
    const times = [];
    for (let round = 0; round < Number(count); round += 1) {
      const started = performance.now();
      socket.write('x');
      await new Promise((resolve) => socket.once('data', resolve));
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    console.log(JSON.stringify({ min: times[0], median: times[Math.floor(times.length / 2)], max: times.at(-1) }));
    process.exit(0);
  });
} else if (mode === 'udp-count') {
  const socket = dgram.createSocket('udp4');
  let received = 0;
  socket.on('message', () => { received += 1; });
  socket.bind(Number(port), host, () => console.log('ready'));
  process.on('SIGTERM', () => { console.log(JSON.stringify({ received })); process.exit(0); });
} else if (mode === 'udp-send') {
  const socket = dgram.createSocket('udp4');
  for (let sent = 0; sent < Number(count); sent += 1) {
    await new Promise((resolve) => socket.send('x', Number(port), host, resolve));
    await new Promise((resolve) => setTimeout(resolve, Number(pauseMs)));
  }
  socket.close();
}
`;

describe('network-namespace lab', function () {
  this.timeout(60_000);
  let lab: NetnsLab;
  let directory: string;
  let probe: string;

  before(async function () {
    await requireNetns(this);
    directory = await temporaryDirectory('tandem-netns-lab-');
    probe = path.join(directory, 'probe.mjs');
    await writeFile(probe, PROBE);
    lab = await NetnsLab.create({ workstations: 2 });
  });

  after(async () => {
    await lab?.destroy();
    if (directory !== undefined) await removeDirectory(directory);
  });

  afterEach(async () => {
    if (lab !== undefined && lab.existingNamespaces().length > 0) await lab.heal();
  });

  /** Starts a probe server in `host` and waits for it to listen. */
  async function serve(host: Parameters<NetnsLab['address']>[0], mode: 'echo' | 'udp-count', port: number) {
    const child = lab.spawn(host, [process.execPath, probe, mode, lab.address(host), String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`probe ${mode} did not start`)), 5000);
      child.stdout?.on('data', () => {
        if (output.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return {
      async stop(): Promise<string> {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
        return output.replace('ready\n', '').trim();
      },
    };
  }

  async function roundTrip(
    from: Parameters<NetnsLab['address']>[0],
    to: Parameters<NetnsLab['address']>[0],
    rounds = 20,
  ) {
    const output = await lab.run(from, [
      process.execPath,
      probe,
      'rtt',
      lab.address(to),
      '9000',
      String(rounds),
    ]);
    return JSON.parse(output) as { min: number; median: number; max: number } | { error: string };
  }

  /** How many of `count` datagrams sent from one host reach the other. */
  async function datagrams(
    from: Parameters<NetnsLab['address']>[0],
    to: Parameters<NetnsLab['address']>[0],
    count: number,
  ) {
    const counter = await serve(to, 'udp-count', 9100);
    await lab.run(
      from,
      [process.execPath, probe, 'udp-send', lab.address(to), '9100', String(count), '1'],
      30_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    return (JSON.parse(await counter.stop()) as { received: number }).received;
  }

  it('links every host over the bridge, with nothing in the root namespace', async () => {
    expect(lab.existingNamespaces()).to.have.length(lab.hosts.length + 1);
    for (const host of lab.hosts)
      expect(lab.namespace(host).startsWith(`${NETNS_PREFIX}${lab.id}-`)).to.equal(true);
    const echo = await serve('main', 'echo', 9000);
    try {
      for (const host of ['backup', 'witness', 'control', 'ws1', 'ws2'] as const) {
        const result = await roundTrip(host, 'main', 5);
        expect(result, `${host} reaches main`).to.have.property('median').below(20);
      }
    } finally {
      await echo.stop();
    }
    const rootLinks = await runCommand(['ip', '-o', 'link', 'show']);
    const rootAddresses = await runCommand(['ip', '-o', 'addr', 'show']);
    expect(rootLinks).not.to.include('p-main');
    expect(rootAddresses).not.to.include(`10.213.${lab.subnetOctet}.`);
  });

  it('cuts one direction only, and heals', async () => {
    await lab.cut('ws1', 'main');
    expect(await datagrams('ws1', 'main', 50), 'ws1 -> main is cut').to.equal(0);
    expect(await datagrams('main', 'ws1', 50), 'main -> ws1 still flows').to.equal(50);
    expect(await datagrams('ws2', 'main', 50), 'other hosts are untouched').to.equal(50);
    await lab.heal();
    expect(await datagrams('ws1', 'main', 50), 'healed').to.equal(50);
  });

  it('cuts both directions between two hosts', async () => {
    await lab.cutBetween('main', 'backup');
    expect(await datagrams('main', 'backup', 30)).to.equal(0);
    expect(await datagrams('backup', 'main', 30)).to.equal(0);
    expect(await datagrams('backup', 'ws1', 30)).to.equal(30);
  });

  it('delays a link by 75 ± 50 ms, one direction at a time', async () => {
    const echo = await serve('main', 'echo', 9000);
    try {
      const before = await roundTrip('ws1', 'main');
      expect(before).to.have.property('median').below(10);
      await lab.impair('ws1', 'main', { delayMs: 75, jitterMs: 50 });
      const oneWay = await roundTrip('ws1', 'main', 40);
      if ('error' in oneWay) throw new Error(oneWay.error);
      // Each round trip crosses the delayed direction once: 25..125 ms plus a little.
      expect(oneWay.min).to.be.within(24, 80);
      expect(oneWay.median).to.be.within(45, 110);
      expect(oneWay.max).to.be.within(80, 200);
      await lab.impair('main', 'ws1', { delayMs: 75, jitterMs: 0 });
      const both = await roundTrip('ws1', 'main', 20);
      if ('error' in both) throw new Error(both.error);
      expect(both.min).to.be.above(95);
      expect(lab.faults).to.deep.equal(['ws1 -> main 75 ± 50 ms', 'main -> ws1 75 ± 0 ms']);
      await lab.heal();
      expect(await roundTrip('ws1', 'main'))
        .to.have.property('median')
        .below(10);
    } finally {
      await echo.stop();
    }
  });

  it('drops 30 % of the packets on a lossy link', async () => {
    await lab.impair('ws2', 'backup', { lossPercent: 30 });
    const received = await datagrams('ws2', 'backup', 1000);
    // Binomial(1000, 0.7): 700 ± 14.5, so 640..760 is beyond four standard deviations.
    expect(received).to.be.within(640, 760);
    expect(await datagrams('backup', 'ws2', 200), 'the other direction keeps every packet').to.equal(200);
  });

  it('tears down every namespace when its process exits, is terminated or is killed', async () => {
    const script = [
      "import { NetnsLab } from '@tandem/testkit';",
      'const lab = await NetnsLab.create({ workstations: 1 });',
      "lab.spawn('main', ['sleep', '600']);",
      'console.log(lab.prefix);',
      "if (process.argv[2] === 'exit') process.exit(3);",
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const file = path.join(repositoryRoot(), 'test', 'netns', `.lab-child-${process.pid}.mjs`);
    await writeFile(file, script);
    const namespaces = async (prefix: string) =>
      (await runCommand(['ip', 'netns', 'list'])).split('\n').filter((line) => line.startsWith(prefix));
    try {
      // The three endings run side by side; each child makes its own lab.
      const children = (['exit', 'SIGTERM', 'SIGKILL'] as const).map((ending) => {
        const child = spawn(process.execPath, [file, ending], { stdio: ['ignore', 'pipe', 'inherit'] });
        const exited = new Promise((resolve) => child.once('exit', resolve));
        const prefix = new Promise<string>((resolve, reject) => {
          child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim()));
          void exited.then((code) =>
            reject(new Error(`the ${ending} child exited (${code}) before making its lab`)),
          );
        });
        return { ending, child, exited, prefix };
      });
      for (const { ending, child, exited, prefix } of children) {
        const labPrefix = await prefix;
        if (ending !== 'exit') {
          expect(await namespaces(labPrefix), 'the lab exists while its process runs').to.have.length(6);
          child.kill(ending);
        }
        await exited;
        if (ending === 'SIGKILL') {
          // Nothing runs in a killed process: the next lab sweeps what it left behind.
          expect(await namespaces(labPrefix)).to.have.length(6);
          const sweeper = await NetnsLab.create({ workstations: 1 });
          await sweeper.destroy();
        }
        expect(await namespaces(labPrefix), `after ${ending}`).to.deep.equal([]);
      }
    } finally {
      await removeDirectory(file);
    }
  });
});
