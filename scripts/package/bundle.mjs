// Bundles tandemd and tandemctl, with every workspace package and every npm dependency inlined, into
// one ES module each, so that an install needs no node_modules and no workspace.
//
// Three things a bundle cannot inline are placed beside it instead, under lib/:
// - proto/: the whole repository proto/ directory (however many files it has), which
//   packages/wire/src/loader.ts finds by walking up from the bundle;
// - vendor/<package>/...: files that a dependency reads relative to its own __dirname (the gRPC
//   health, reflection and channelz protos, classic-level's native LevelDB binding). Each such dependency sees __dirname as
//   lib/vendor/<package>/<its own sub-directory>, so its relative paths keep working unchanged;
// - console-assets/: the web console's bundled page (packages/console/dist/assets), which
//   @tandem/console locates relative to its own module; the bundle is pointed at lib/console-assets;
// - the launchers in bin/ run the bundles (see launchers.mjs).
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

/** The entry points: the command name and the compiled main module it runs. */
export const COMMANDS = {
  tandemd: 'packages/server/dist/src/main.js',
  tandemctl: 'packages/cli/dist/src/main.js',
};

/**
 * Dependencies that read files relative to their own directory at run time, and the directories of
 * the package (relative to its root) to copy under lib/vendor/<name>/. A `prebuilds` entry copies
 * only the platforms asked for.
 */
const VENDORED = {
  '@grpc/grpc-js': ['proto'],
  '@grpc/reflection': ['build/proto/grpc'],
  'grpc-health-check': ['proto'],
  'classic-level': ['prebuilds'],
};

/**
 * ES module output has no __dirname, __filename or require; the CommonJS dependencies inside use
 * them, so the bundle defines them once, for the bundle's own location.
 */
const BANNER = [
  "import { createRequire as __tandemCreateRequire } from 'node:module';",
  "import { fileURLToPath as __tandemFileURLToPath } from 'node:url';",
  "import __tandemPath from 'node:path';",
  'const require = __tandemCreateRequire(import.meta.url);',
  'const __filename = __tandemFileURLToPath(import.meta.url);',
  'const __dirname = __tandemPath.dirname(__filename);',
].join('\n');

/** The package a file under node_modules belongs to, and the file's directory inside it. */
function owningPackage(file) {
  const parts = file.split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return null;
  const scoped = parts[at + 1]?.startsWith('@');
  const nameParts = parts.slice(at + 1, at + (scoped ? 3 : 2));
  const root = parts.slice(0, at + 1 + nameParts.length).join(path.sep);
  return { name: nameParts.join('/'), root, inside: path.relative(root, path.dirname(file)) };
}

/** Rewrites __dirname in a vendored dependency to its directory under lib/vendor/. */
const vendorDirnamePlugin = {
  name: 'tandem-vendor-dirname',
  setup(build) {
    build.onLoad({ filter: /\.c?js$/ }, (args) => {
      const owner = owningPackage(args.path);
      if (owner === null || !(owner.name in VENDORED)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('__dirname')) return undefined;
      const where = JSON.stringify(
        path.posix.join('vendor', owner.name, owner.inside.split(path.sep).join('/')),
      );
      return {
        contents: source.replaceAll('__dirname', `__tandemPath.join(__dirname, ${where})`),
        loader: 'js',
      };
    });
  },
};

/** Points @tandem/console's CONSOLE_ASSETS_URL at lib/console-assets, beside the bundle. */
const consoleAssetsPlugin = {
  name: 'tandem-console-assets',
  setup(build) {
    build.onLoad({ filter: /packages[\\/]console[\\/]dist[\\/]src[\\/]index\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const from = "new URL('../assets/', import.meta.url)";
      if (!source.includes(from)) throw new Error(`${args.path} no longer says ${from}: update the bundler`);
      return {
        contents: source.replace(from, "new URL('./console-assets/', import.meta.url)"),
        loader: 'js',
      };
    });
  },
};

/**
 * Writes lib/<command>.mjs for each command (all by default), lib/proto and lib/vendor into
 * `libDirectory`, with the native prebuilds of the given platforms (e.g. ['linux-x64'], or 'all'). Returns every npm package the bundles contain
 * (name, version, root directory), for the licence file. With `inputsFile`, writes there the
 * absolute path and SHA-256 of every file the bundles were built or copied from (a JSON array of
 * `{ file, sha256 }`), so that a user of the bundles can tell when they are older than their
 * sources (a build step that rewrites a file with the same bytes does not make them older).
 */
export async function bundle({
  root,
  libDirectory,
  platforms,
  commands = Object.keys(COMMANDS),
  inputsFile = null,
}) {
  mkdirSync(libDirectory, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(commands.map((name) => [name, path.join(root, COMMANDS[name])])),
    outdir: libDirectory,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: BANNER },
    plugins: [vendorDirnamePlugin, consoleAssetsPlugin],
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  // The entry modules' shebangs: the launchers (or npm's bin links) decide how a bundle is run.
  for (const file of commands.map((name) => path.join(libDirectory, `${name}.mjs`))) {
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^#!.*\n/m, ''));
  }
  cpSync(path.join(root, 'proto'), path.join(libDirectory, 'proto'), { recursive: true });
  if (commands.includes('tandemd')) {
    const assets = path.join(root, 'packages/console/dist/assets');
    if (!existsSync(path.join(assets, 'index.html')))
      throw new Error(`${assets} is empty: bundle the console first`);
    cpSync(assets, path.join(libDirectory, 'console-assets'), { recursive: true });
  }

  if (inputsFile !== null) {
    const copied = [path.join(root, 'proto')];
    if (commands.includes('tandemd')) copied.push(path.join(root, 'packages/console/dist/assets'));
    const inputs = [
      ...Object.keys(result.metafile.inputs).map((input) => path.resolve(root, input)),
      ...copied.flatMap((directory) =>
        readdirSync(directory, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => path.join(entry.parentPath, entry.name)),
      ),
    ];
    const files = inputs.map((file) => ({
      file,
      sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
    }));
    writeFileSync(inputsFile, `${JSON.stringify(files)}\n`);
  }

  const packages = new Map();
  for (const input of Object.keys(result.metafile.inputs)) {
    const owner = owningPackage(path.resolve(root, input));
    if (owner === null || packages.has(owner.root)) continue;
    const manifest = JSON.parse(readFileSync(path.join(owner.root, 'package.json'), 'utf8'));
    packages.set(owner.root, { name: owner.name, version: manifest.version, root: owner.root });
  }
  for (const [name, directories] of Object.entries(VENDORED)) {
    const owner = [...packages.values()].find((each) => each.name === name);
    if (owner === undefined) continue;
    for (const directory of directories) {
      const from = path.join(owner.root, directory);
      const to = path.join(libDirectory, 'vendor', name, directory);
      if (directory === 'prebuilds' && platforms !== 'all') {
        for (const platform of platforms) {
          cpSync(path.join(from, platform), path.join(to, platform), { recursive: true });
        }
      } else {
        cpSync(from, to, { recursive: true });
      }
    }
    // node-gyp-build reads the package name from here (for its <NAME>_PREBUILD override).
    cpSync(path.join(owner.root, 'package.json'), path.join(libDirectory, 'vendor', name, 'package.json'));
  }
  return [...packages.values()].sort((left, right) => left.name.localeCompare(right.name));
}
