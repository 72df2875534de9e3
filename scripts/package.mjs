// `pnpm package`: builds everything an install needs into dist/ (git-ignored):
//   dist/tandem-<version>-linux-x64.tar.gz   self-contained: bundles, LevelDB binding, proto/,
//                                             Node.js, bin/tandemd and bin/tandemctl, examples
//   dist/tandem_<version>_amd64.deb          the same under /usr/lib/tandem, plus a systemd unit,
//                                             the tandem user and /etc/tandem/examples
//   dist/tandemd-<version>.tgz, dist/tandemctl-<version>.tgz   the publishable npm packages
// The build (generated types, tsc -b, the console's bundle) is brought up to date first. docs/install.md says how each
// is installed.
//
//   node scripts/package.mjs [--out DIR] [--skip-deb] [--skip-npm]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildDeb } from './package/deb.mjs';
import { buildInstallTree } from './package/install-tree.mjs';
import { buildNpmPackages } from './package/npm-packages.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: path.join(root, 'dist') },
    'skip-deb': { type: 'boolean', default: false },
    'skip-npm': { type: 'boolean', default: false },
  },
});
/** The only platform built: the tarball ships this machine's Node and one LevelDB binding. */
const PLATFORM = 'linux-x64';
if (`${process.platform}-${process.arch}` !== PLATFORM) {
  console.error(
    `pnpm package builds ${PLATFORM} packages and must run there (this is ${process.platform}-${process.arch})`,
  );
  process.exit(2);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error !== undefined || result.status !== 0) {
    console.error(`package: ${command} ${args.join(' ')} failed`);
    process.exit(1);
  }
}

const startedAtMs = Date.now();
run(process.execPath, [path.join(root, 'packages/wire/scripts/check-generated.mjs')]);
run(path.join(root, 'node_modules/.bin/tsc'), ['-b']);
run(process.execPath, [path.join(root, 'packages/console/scripts/bundle.mjs')]);

const version = JSON.parse(readFileSync(path.join(root, 'packages/server/package.json'), 'utf8')).version;
const out = path.resolve(values.out);
mkdirSync(out, { recursive: true });
const stage = mkdtempSync(path.join(os.tmpdir(), 'tandem-package-'));
try {
  const name = `tandem-${version}-${PLATFORM}`;
  const tree = path.join(stage, name);
  const packages = await buildInstallTree({ root, directory: tree, version, platform: PLATFORM });
  const tarball = path.join(out, `${name}.tar.gz`);
  run('tar', ['-C', stage, '--owner=0', '--group=0', '-czf', tarball, name]);
  console.log(`${tarball} (${packages.length} npm packages bundled)`);
  if (!values['skip-deb']) {
    console.log(buildDeb({ root, installTree: tree, stageDirectory: stage, outDirectory: out, version }));
  }
  if (!values['skip-npm']) {
    const licences = path.join(tree, 'THIRD-PARTY-LICENSES.txt');
    for (const file of await buildNpmPackages({
      root,
      stageDirectory: stage,
      outDirectory: out,
      version,
      licences,
    })) {
      console.log(file);
    }
  }
} finally {
  rmSync(stage, { recursive: true, force: true });
}
console.log(`package: done in ${((Date.now() - startedAtMs) / 1000).toFixed(0)} s`);
