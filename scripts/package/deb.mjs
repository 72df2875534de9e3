// The .deb: the install tree under /usr/lib/tandem, /usr/bin/tandemd and /usr/bin/tandemctl, the
// systemd unit, the examples under /etc/tandem/examples (conffiles: an edited example survives an
// upgrade), and the maintainer scripts in packaging/debian (user and group, no start on a fresh
// install). Built with dpkg-deb alone, as root:root whoever builds it.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

/**
 * What the shipped node and the LevelDB binding link against (ldd of both): glibc 2.28 is the
 * oldest Node 20's official builds support. adduser is for postinst.
 */
const DEPENDS = 'adduser, libc6 (>= 2.28), libgcc-s1, libstdc++6';

function sizeKiB(directory) {
  let bytes = 0;
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) bytes += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return Math.ceil(bytes / 1024);
}

/** Builds `<outDirectory>/tandem_<version>_amd64.deb` from the install tree; returns its path. */
export function buildDeb({ root, installTree, stageDirectory, outDirectory, version }) {
  const top = path.join(stageDirectory, 'deb');
  const lib = path.join(top, 'usr/lib/tandem');
  mkdirSync(path.dirname(lib), { recursive: true });
  // The examples go to /etc/tandem/examples instead (below), once.
  const examplesOfTree = path.join(installTree, 'examples');
  cpSync(installTree, lib, { recursive: true, filter: (source) => source !== examplesOfTree });

  mkdirSync(path.join(top, 'usr/bin'), { recursive: true });
  for (const name of ['tandemd', 'tandemctl']) {
    symlinkSync(`../lib/tandem/bin/${name}`, path.join(top, 'usr/bin', name));
  }
  mkdirSync(path.join(top, 'usr/lib/systemd/system'), { recursive: true });
  copyFileSync(
    path.join(root, 'deploy/systemd/tandemd.service'),
    path.join(top, 'usr/lib/systemd/system/tandemd.service'),
  );
  const examples = path.join(top, 'etc/tandem/examples');
  mkdirSync(examples, { recursive: true });
  const conffiles = [];
  for (const name of readdirSync(path.join(installTree, 'examples')).filter((file) =>
    file.endsWith('.yaml'),
  )) {
    copyFileSync(path.join(installTree, 'examples', name), path.join(examples, name));
    conffiles.push(`/etc/tandem/examples/${name}`);
  }
  const doc = path.join(top, 'usr/share/doc/tandem');
  mkdirSync(doc, { recursive: true });
  copyFileSync(path.join(root, 'docs/install.md'), path.join(doc, 'install.md'));
  writeFileSync(
    path.join(doc, 'copyright'),
    'Tandem, a fault-tolerant network licence manager.\n\n' +
      'The npm packages bundled into /usr/lib/tandem/lib and their licences are listed in\n' +
      '/usr/lib/tandem/THIRD-PARTY-LICENSES.txt; Node.js (/usr/lib/tandem/node) comes with\n' +
      '/usr/lib/tandem/node/LICENSE.\n',
  );

  const control = path.join(top, 'DEBIAN');
  mkdirSync(control);
  writeFileSync(
    path.join(control, 'control'),
    [
      'Package: tandem',
      `Version: ${version}`,
      'Architecture: amd64',
      'Maintainer: Tandem maintainers <tandem@localhost>',
      `Installed-Size: ${sizeKiB(top)}`,
      `Depends: ${DEPENDS}`,
      'Section: net',
      'Priority: optional',
      'Description: fault-tolerant network licence manager (tandemd, tandemctl)',
      ' Tandem keeps a licence ledger (seats, usage quotas, expiry) in a replicated log:',
      ' a main and a backup server, optionally a witness. This package has the server',
      ' (tandemd, which also runs the witness), the operator tool (tandemctl), a systemd',
      ' unit and example configurations in /etc/tandem/examples. It ships its own',
      ' Node.js under /usr/lib/tandem/node. Nothing starts until /etc/tandem/tandemd.yaml',
      ' exists.',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(control, 'conffiles'), `${conffiles.join('\n')}\n`);
  for (const script of ['postinst', 'prerm', 'postrm']) {
    copyFileSync(path.join(root, 'packaging/debian', script), path.join(control, script));
    chmodSync(path.join(control, script), 0o755);
  }

  const deb = path.join(outDirectory, `tandem_${version}_amd64.deb`);
  // gzip: xz would save a few MB and take a minute on two cores.
  const result = spawnSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', top, deb], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(`dpkg-deb failed (${result.error?.message ?? `exit ${result.status}`})`);
  }
  return deb;
}
