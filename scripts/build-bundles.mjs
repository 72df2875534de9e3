// Bundles tandemd and tandemctl into dist/bundle/ the way `pnpm package` does (one ES module each,
// with proto/, the console's page and the LevelDB binding beside them: scripts/package/bundle.mjs),
// as the last step of the build. The test kit, the demo and the benchmark run these bundles: they
// are what the tarball, the .deb and the npm packages ship, and a bundle starts in about half the
// CPU of the compiled module tree (0.45 s against 1.1–1.3 s for `tandemd --help` on this 2-core
// machine), which a restarting node, and every test that starts one, pays on each start.
// dist/bundle/inputs.json lists every file they came from, so the test kit can refuse a stale one.
//
//   node scripts/build-bundles.mjs
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from './package/bundle.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const libDirectory = path.join(root, 'dist/bundle');
const startedAtMs = Date.now();
rmSync(libDirectory, { recursive: true, force: true });
await bundle({
  root,
  libDirectory,
  platforms: [`${process.platform}-${process.arch}`],
  inputsFile: path.join(libDirectory, 'inputs.json'),
});
console.log(
  `bundles: tandemd and tandemctl in ${path.relative(process.cwd(), libDirectory) || libDirectory} (${Date.now() - startedAtMs} ms)`,
);
