// The publishable npm packages `tandemd` (from packages/server; it also runs the witness) and
// `tandemctl` (from packages/cli). The workspace packages stay private: they depend on each other
// through workspace:* links. These are their bundles instead, with no dependencies at all, so that
// `npm install -g tandemd` needs nothing from this repository: the workspace code and every npm
// dependency are inlined, proto/ and the vendored files sit in lib/, and classic-level's LevelDB
// binding comes for every platform classic-level has a prebuild for (Node itself comes from the
// host, >= 20.19, as `engines` says).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundle } from './bundle.mjs';
import { MINIMUM_NODE } from './install-tree.mjs';

const DESCRIPTIONS = {
  tandemd: 'Tandem licence server: main, backup or witness of a fault-tolerant licence cluster',
  tandemctl: 'Tandem operator tool: licences, leases, usage, status and the cluster PKI',
};

/** Writes dist/npm/<name>/ and packs it into <outDirectory>/<name>-<version>.tgz; returns the paths. */
export async function buildNpmPackages({ root, stageDirectory, outDirectory, version, licences }) {
  const tarballs = [];
  for (const name of Object.keys(DESCRIPTIONS)) {
    const directory = path.join(stageDirectory, 'npm', name);
    await bundle({ root, libDirectory: path.join(directory, 'lib'), platforms: 'all', commands: [name] });
    // npm links bin entries straight to the file, so the bundle carries its own interpreter line.
    const main = path.join(directory, 'lib', `${name}.mjs`);
    writeFileSync(main, `#!/usr/bin/env node\n${readFileSync(main, 'utf8')}`);
    copyFileSync(licences, path.join(directory, 'THIRD-PARTY-LICENSES.txt'));
    const manifest = {
      name,
      version,
      description: DESCRIPTIONS[name],
      type: 'module',
      bin: { [name]: `lib/${name}.mjs` },
      files: ['lib', 'THIRD-PARTY-LICENSES.txt'],
      engines: { node: `>=${MINIMUM_NODE.join('.')}` },
      license: 'UNLICENSED',
    };
    writeFileSync(path.join(directory, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    mkdirSync(outDirectory, { recursive: true });
    const result = spawnSync('npm', ['pack', '--silent', '--pack-destination', outDirectory], {
      cwd: directory,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (result.error !== undefined || result.status !== 0) {
      throw new Error(`npm pack ${name} failed (${result.error?.message ?? `exit ${result.status}`})`);
    }
    tarballs.push(path.join(outDirectory, `${name}-${version}.tgz`));
  }
  return tarballs;
}
