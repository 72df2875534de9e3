// Where the built binaries are, found from this module so that tests run from any directory.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function repositoryRoot(): string {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth += 1) {
    if (existsSync(path.join(directory, 'pnpm-workspace.yaml'))) return directory;
    directory = path.dirname(directory);
  }
  throw new Error('cannot find the repository root (pnpm-workspace.yaml)');
}

/**
 * Which build of a command runs: `bundle`, the one ES module that the packages ship
 * (dist/bundle/, scripts/build-bundles.mjs), or `modules`, the compiled module tree (a CPU
 * profile of it names each function's package, which a profile of the bundle cannot).
 */
export type EntryBuild = 'bundle' | 'modules';

/** tandemd's entry point; `pnpm build` must have run. */
export function tandemdEntry(build: EntryBuild = 'bundle'): string {
  return build === 'bundle'
    ? bundleEntry('tandemd')
    : built(path.join(repositoryRoot(), 'packages/server/dist/src/main.js'));
}

export function tandemctlEntry(build: EntryBuild = 'bundle'): string {
  return build === 'bundle'
    ? bundleEntry('tandemctl')
    : built(path.join(repositoryRoot(), 'packages/cli/dist/src/main.js'));
}

function built(file: string): string {
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`pnpm build\` first`);
  return file;
}

/** Bundles found current in this process: checked once each, as a test starts hundreds of nodes. */
const currentBundles = new Set<string>();

/**
 * The bundle of a command, refused when a file it was built from (dist/bundle/inputs.json) has
 * changed since: a test must never run code older than what `tsc -b` just compiled. A file newer
 * than the bundle is compared by its SHA-256, since build steps rewrite files with the same bytes
 * (`pnpm package`, which a test runs, bundles the console again).
 */
function bundleEntry(command: 'tandemd' | 'tandemctl'): string {
  return currentBundle(path.join(repositoryRoot(), 'dist/bundle'), command);
}

/** `<directory>/<command>.mjs`, checked against `<directory>/inputs.json` as bundleEntry says. */
export function currentBundle(directory: string, command: string): string {
  const file = built(path.join(directory, `${command}.mjs`));
  if (currentBundles.has(file)) return file;
  const inputs = JSON.parse(
    readFileSync(built(path.join(directory, 'inputs.json')), 'utf8'),
  ) as BundleInput[];
  const bundledAtMs = statSync(file).mtimeMs;
  for (const input of inputs) {
    if (existsSync(input.file) && statSync(input.file).mtimeMs <= bundledAtMs) continue;
    if (!existsSync(input.file) || sha256(input.file) !== input.sha256) {
      throw new Error(
        `${file} is older than ${input.file}: run \`pnpm build\` (or \`node scripts/build-bundles.mjs\`) first`,
      );
    }
  }
  currentBundles.add(file);
  return file;
}

/** One line of dist/bundle/inputs.json (scripts/package/bundle.mjs). */
interface BundleInput {
  file: string;
  sha256: string;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
