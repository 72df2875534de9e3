// `pnpm package` end to end: what it builds installs and runs away from this repository.
// - The tarball, extracted under the temporary directory: its own tandemctl makes a CA and
//   certificates, its own tandemd serves one node (single mode, TLS) on a data directory there, and
//   its tandemctl reads the status (with an operator certificate) and the health (with the CA only).
// - The npm packages tandemd and tandemctl, installed by npm into a prefix of their own (offline:
//   they have no dependencies), the same.
// - The .deb, installed with apt-get (root only: without root it skips, and with CI=true it fails),
//   the same with the installed /usr/bin/tandemd running as the package's tandem user; then purged,
//   and the machine must be as before (no files, no user, no group).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, readdir, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import {
  freePort,
  netnsRequired,
  removeDirectory,
  repositoryRoot,
  temporaryDirectory,
} from '@tandem/testkit';
import { expect } from 'chai';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const COMMAND_TIMEOUT_MS = 90_000;

function execute(
  command: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timeoutMs = options.timeoutMs ?? COMMAND_TIMEOUT_MS;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function succeed(command: string, args: string[], options: { cwd?: string } = {}): Promise<string> {
  const result = await execute(command, args, options);
  expect(result.code, `${command} ${args.join(' ')}: ${result.stderr}${result.stdout}`).to.equal(0);
  return result.stdout;
}

/** The commands of one install, and who runs tandemd. */
interface Install {
  tandemd: string;
  tandemctl: string;
  user?: { uid: number; gid: number };
}

/**
 * Makes a CA and certificates with the install's tandemctl, starts its tandemd in single mode with
 * TLS on a data directory under `directory`, and checks status and health with its tandemctl.
 */
async function serveAndCheck(install: Install, directory: string): Promise<void> {
  const pki = path.join(directory, 'pki');
  await succeed(install.tandemctl, ['pki', 'init', '--dir', pki]);
  await succeed(install.tandemctl, ['pki', 'issue', '--dir', pki, '--node', 'main']);
  await succeed(install.tandemctl, ['pki', 'issue', '--dir', pki, '--operator', 'ci', '--role', 'viewer']);
  const port = await freePort();
  const httpPort = await freePort();
  const config = path.join(directory, 'tandemd.yaml');
  await writeFile(
    config,
    [
      'node: { id: main, role: main, listen: 127.0.0.1:' +
        port +
        `, httpListen: 127.0.0.1:${httpPort}, dataDir: ${path.join(directory, 'data')} }`,
      'cluster: { mode: single }',
      `tls: { ca: ${pki}/ca.crt, cert: ${pki}/main.crt, key: ${pki}/main.key }`,
      '',
    ].join('\n'),
  );
  if (install.user !== undefined) {
    for (const entry of [
      directory,
      ...(await readdir(directory, { recursive: true })).map((name) => path.join(directory, name)),
    ]) {
      await chown(entry, install.user.uid, install.user.gid);
    }
  }
  const server = spawn(install.tandemd, ['--config', config], {
    cwd: '/',
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(install.user ?? {}),
  });
  try {
    await waitForListening(server);
    const servers = ['--servers', `127.0.0.1:${port}`];
    const operator = ['--ca', `${pki}/ca.crt`, '--cert', `${pki}/ci.crt`, '--key', `${pki}/ci.key`];
    const status = await succeed(install.tandemctl, [...servers, ...operator, 'status']);
    expect(status).to.match(/^main\s+127\.0\.0\.1:\d+\s+main\s+leader\b/m);
    expect(status).to.contain('leader: main');
    const health = await succeed(install.tandemctl, [...servers, '--ca', `${pki}/ca.crt`, 'health']);
    expect(health).to.match(/127\.0\.0\.1:\d+\s+SERVING/);
    // The HTTP port serves the console bundled into the install, and the metrics to a viewer.
    const tls = {
      ca: await readFile(`${pki}/ca.crt`),
      cert: await readFile(`${pki}/ci.crt`),
      key: await readFile(`${pki}/ci.key`),
    };
    const page = await httpsGet(`https://127.0.0.1:${httpPort}/`, tls);
    expect(page.status, page.body).to.equal(200);
    expect(page.body).to.contain('/assets/app.js');
    expect((await httpsGet(`https://127.0.0.1:${httpPort}/assets/app.js`, tls)).status).to.equal(200);
    const metrics = await httpsGet(`https://127.0.0.1:${httpPort}/metrics`, tls);
    expect(metrics.status, metrics.body).to.equal(200);
    expect(metrics.body).to.match(/^tandem_build_info\{/m);
  } finally {
    await stop(server);
  }
  expect(server.exitCode, 'tandemd exit code after SIGTERM').to.equal(0);
}

function httpsGet(
  url: string,
  tls: { ca: Buffer; cert: Buffer; key: Buffer },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ...tls, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`${url}: no answer within 10 s`)));
    request.on('error', reject);
  });
}

function waitForListening(server: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`tandemd did not listen within 30 s:\n${output}`)),
      30_000,
    );
    const read = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (/"message":"listening"/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    server.stdout?.on('data', read);
    server.stderr?.on('data', read);
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tandemd exited ${code} before listening:\n${output}`));
    });
  });
}

async function stop(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** A dpkg-query --showformat field: ${Name}. */
const dpkgField = (name: string) => `\${${name}}`;

/** Why the .deb cannot be installed here, or null. */
async function debUnavailableReason(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'installing a .deb needs root';
  for (const tool of ['apt-get', 'dpkg', 'getent']) {
    if ((await execute('sh', ['-c', `command -v ${tool}`])).code !== 0) return `${tool} is missing`;
  }
  return null;
}

describe('packages (pnpm package)', function () {
  this.timeout(120_000);
  const root = repositoryRoot();
  let scratch: string;
  let out: string;

  before(async function () {
    this.timeout(180_000);
    // Away from the repository, so that nothing can be found by walking up into it.
    scratch = await temporaryDirectory('tandem-package-test-');
    out = path.join(scratch, 'dist');
    await succeed(process.execPath, [path.join(root, 'scripts/package.mjs'), '--out', out], { cwd: root });
  });

  after(async () => {
    if (scratch !== undefined) await removeDirectory(scratch);
  });

  it('the tarball runs from wherever it is extracted, with its own Node', async () => {
    const files = readdirSync(out);
    const tarball = files.find((name) => /^tandem-\d+\.\d+\.\d+-linux-x64\.tar\.gz$/.test(name));
    expect(tarball, `${files.join(', ')}`).to.not.equal(undefined);
    const extracted = path.join(scratch, 'extracted');
    await succeed('mkdir', [extracted]);
    await succeed('tar', ['-C', extracted, '-xzf', path.join(out, tarball as string)]);
    const top = path.join(extracted, (tarball as string).replace(/\.tar\.gz$/, ''));
    for (const file of [
      'lib/proto',
      'lib/vendor/classic-level/prebuilds/linux-x64',
      'node/bin/node',
      'node/LICENSE',
    ]) {
      expect(existsSync(path.join(top, file)), file).to.equal(true);
    }
    expect(readdirSync(path.join(top, 'examples'))).to.include('tandemd.single.yaml');
    // The launchers use the shipped node, whatever node is on the PATH.
    const version = await succeed(path.join(top, 'bin/tandemctl'), ['--version']);
    expect(version.trim()).to.match(/^\d+\.\d+\.\d+$/);
    const node = path.join(scratch, 'tarball-node');
    await succeed('mkdir', [node]);
    await serveAndCheck(
      { tandemd: path.join(top, 'bin/tandemd'), tandemctl: path.join(top, 'bin/tandemctl') },
      node,
    );
  });

  it('the npm packages tandemd and tandemctl install with npm alone and run', async () => {
    const packages = readdirSync(out).filter((name) => /^tandem(d|ctl)-\d+\.\d+\.\d+\.tgz$/.test(name));
    expect(packages).to.have.length(2);
    const prefix = path.join(scratch, 'npm-prefix');
    await succeed('npm', [
      'install',
      '--global',
      '--prefix',
      prefix,
      '--offline',
      '--no-audit',
      '--no-fund',
      ...packages.map((name) => path.join(out, name)),
    ]);
    const node = path.join(scratch, 'npm-node');
    await succeed('mkdir', [node]);
    await serveAndCheck(
      { tandemd: path.join(prefix, 'bin/tandemd'), tandemctl: path.join(prefix, 'bin/tandemctl') },
      node,
    );
  });

  describe('the .deb', () => {
    let installed = false;

    before(async function () {
      const reason = await debUnavailableReason();
      if (reason === null) return;
      // CI=true: the same rule as the network-namespace suite.
      if (netnsRequired()) throw new Error(`CI must install the .deb, but ${reason}`);
      console.log(`      skipped: ${reason}`);
      this.skip();
    });

    after(async () => {
      if (installed)
        await execute('apt-get', ['purge', '-y', '-q', '-o', 'DPkg::Lock::Timeout=120', 'tandem']);
    });

    it('installs with apt-get, runs as the tandem user from the installed files, and purges clean', async () => {
      const before = await execute('dpkg-query', ['-W', '-f', dpkgField('Status'), 'tandem']);
      expect(before.stdout, 'a tandem package is installed already: remove it first').to.not.contain(
        'installed',
      );
      expect(
        (await execute('getent', ['passwd', 'tandem'])).code,
        'a tandem user exists already',
      ).to.not.equal(0);
      // A ledger left there would (rightly) keep the user at purge.
      expect(existsSync('/var/lib/tandem'), '/var/lib/tandem exists already').to.equal(false);
      const deb = readdirSync(out).find((name) => /^tandem_\d+\.\d+\.\d+_amd64\.deb$/.test(name));
      expect(deb).to.not.equal(undefined);

      installed = true;
      await succeed('apt-get', ['install', '-y', '-q', '-o', 'DPkg::Lock::Timeout=120', `./${deb}`], {
        cwd: out,
      });
      for (const file of [
        '/usr/bin/tandemd',
        '/usr/bin/tandemctl',
        '/usr/lib/tandem/node/bin/node',
        '/usr/lib/systemd/system/tandemd.service',
        '/etc/tandem/examples/tandemd.single.yaml',
      ]) {
        expect(existsSync(file), file).to.equal(true);
      }
      // Installed, not started: there is no configuration yet.
      expect(existsSync('/etc/tandem/tandemd.yaml')).to.equal(false);
      // The unit as systemd reads it (keys in the right sections, ExecStart executable), where
      // systemd-analyze is installed.
      if ((await execute('sh', ['-c', 'command -v systemd-analyze'])).code === 0) {
        await succeed('systemd-analyze', ['verify', '/usr/lib/systemd/system/tandemd.service']);
      }
      const conffiles = await succeed('dpkg-query', ['-W', '-f', dpkgField('Conffiles'), 'tandem']);
      expect(conffiles).to.contain('/etc/tandem/examples/tandemd.single.yaml');
      const passwd = (await succeed('getent', ['passwd', 'tandem'])).trim().split(':');
      const user = { uid: Number(passwd[2]), gid: Number(passwd[3]) };
      expect(user.uid).to.be.above(0);
      expect(passwd[6]).to.equal('/usr/sbin/nologin');

      // The tandem user must reach its directory inside the scratch directory (mkdtemp's is 0700).
      await chmod(scratch, 0o711);
      const node = path.join(scratch, 'deb-node');
      await succeed('mkdir', [node]);
      await serveAndCheck({ tandemd: '/usr/bin/tandemd', tandemctl: '/usr/bin/tandemctl', user }, node);

      await succeed('apt-get', ['purge', '-y', '-q', '-o', 'DPkg::Lock::Timeout=120', 'tandem']);
      installed = false;
      for (const file of [
        '/usr/bin/tandemd',
        '/usr/lib/tandem',
        '/usr/lib/systemd/system/tandemd.service',
        '/etc/tandem',
      ]) {
        expect(existsSync(file), `${file} after purge`).to.equal(false);
      }
      expect(
        (await execute('getent', ['passwd', 'tandem'])).code,
        'the tandem user after purge',
      ).to.not.equal(0);
      expect(
        (await execute('getent', ['group', 'tandem'])).code,
        'the tandem group after purge',
      ).to.not.equal(0);
    });
  });
});
