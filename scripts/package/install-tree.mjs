// The install tree that the tarball holds and the .deb puts under /usr/lib/tandem:
//   bin/tandemd, bin/tandemctl   launchers (sh) that run the bundles with node/bin/node
//   lib/                          the bundles, proto/ and the vendored runtime files (bundle.mjs)
//   node/bin/node, node/LICENSE   the Node.js that runs them (see NODE_POLICY)
//   examples/                     deploy/*.yaml and the systemd unit
//   THIRD-PARTY-LICENSES.txt      every npm package inside the bundles, with its licence text
//   VERSION                       the Tandem and Node.js versions
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { bundle } from './bundle.mjs';

/**
 * Why Node.js ships inside: Debian 12's own nodejs is 18, older than the 20.19 Tandem needs, so a
 * dependency on it would install a Node that cannot run tandemd; shipping the Node that built and
 * tested the bundles makes the tarball and the .deb work on any x64 glibc >= 2.28 machine, at the
 * cost of about 35 MB compressed.
 */
export const MINIMUM_NODE = [20, 19];

function nodeLicence() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const candidates = [path.join(prefix, 'LICENSE'), path.join(prefix, 'share/doc/nodejs/LICENSE')];
  const found = candidates.find((file) => existsSync(file));
  if (found === undefined) {
    throw new Error(
      `cannot find Node.js's LICENSE (looked at ${candidates.join(', ')}): it must ship with node`,
    );
  }
  return found;
}

function licenceText(directory) {
  const file = readdirSync(directory).find((name) => /^(licen[cs]e|copying)(\.|$)/i.test(name));
  return file === undefined ? null : readFileSync(path.join(directory, file), 'utf8').trim();
}

function thirdPartyLicences(packages) {
  const sections = packages.map((each) => {
    const manifest = JSON.parse(readFileSync(path.join(each.root, 'package.json'), 'utf8'));
    const declared = typeof manifest.license === 'string' ? manifest.license : 'see below';
    const text = licenceText(each.root) ?? `(no licence file in the package; package.json says ${declared})`;
    return `${each.name}@${each.version} (${declared})\n\n${text}\n`;
  });
  return [
    'Tandem bundles the following npm packages into lib/tandemd.mjs and lib/tandemctl.mjs.',
    `In the tarball and the .deb, Node.js (node/bin/node) comes with its own licence in node/LICENSE.\n`,
    ...sections,
  ].join(`\n${'-'.repeat(78)}\n\n`);
}

/** Builds the install tree in `directory` (which must not exist yet). Returns the bundled packages. */
export async function buildInstallTree({ root, directory, version, platform }) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < MINIMUM_NODE[0] || (major === MINIMUM_NODE[0] && minor < MINIMUM_NODE[1])) {
    throw new Error(
      `node ${process.versions.node} would be shipped; Tandem needs >= ${MINIMUM_NODE.join('.')}`,
    );
  }
  mkdirSync(directory, { recursive: true });
  const packages = await bundle({ root, libDirectory: path.join(directory, 'lib'), platforms: [platform] });

  mkdirSync(path.join(directory, 'bin'));
  for (const name of ['tandemd', 'tandemctl']) {
    copyFileSync(path.join(root, 'packaging/bin', name), path.join(directory, 'bin', name));
    chmodSync(path.join(directory, 'bin', name), 0o755);
  }
  mkdirSync(path.join(directory, 'node/bin'), { recursive: true });
  copyFileSync(process.execPath, path.join(directory, 'node/bin/node'));
  chmodSync(path.join(directory, 'node/bin/node'), 0o755);
  copyFileSync(nodeLicence(), path.join(directory, 'node/LICENSE'));

  mkdirSync(path.join(directory, 'examples'));
  for (const name of readdirSync(path.join(root, 'deploy')).filter((file) => file.endsWith('.yaml'))) {
    copyFileSync(path.join(root, 'deploy', name), path.join(directory, 'examples', name));
  }
  cpSync(path.join(root, 'deploy/systemd'), path.join(directory, 'examples/systemd'), { recursive: true });

  writeFileSync(path.join(directory, 'THIRD-PARTY-LICENSES.txt'), thirdPartyLicences(packages));
  writeFileSync(path.join(directory, 'VERSION'), `tandem ${version}\nnode ${process.versions.node}\n`);
  return packages;
}
