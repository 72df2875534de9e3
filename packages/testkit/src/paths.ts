// Where the built binaries are, found from this module so that tests run from any directory.
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
 * The bundle of a command, refused when any file it was built from (dist/bundle/inputs.json) is
 * newer: a test must never run code older than what `tsc -b` just compiled.
 */
function bundleEntry(command: 'tandemd' | 'tandemctl'): string {
  const directory = path.join(repositoryRoot(), 'dist/bundle');
  const file = built(path.join(directory, `${command}.mjs`));
  if (currentBundles.has(file)) return file;
  const inputs = JSON.parse(readFileSync(built(path.join(directory, 'inputs.json')), 'utf8')) as string[];
  const bundledAtMs = statSync(file).mtimeMs;
  for (const input of inputs) {
    const modifiedAtMs = existsSync(input) ? statSync(input).mtimeMs : Number.POSITIVE_INFINITY;
    if (modifiedAtMs > bundledAtMs) {
      throw new Error(
        `${file} is older than ${input}: run \`pnpm build\` (or \`node scripts/build-bundles.mjs\`) first`,
      );
    }
  }
  currentBundles.add(file);
  return file;
}
