// Where the built binaries are, found from this module so that tests run from any directory.
import { existsSync } from 'node:fs';
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

/** The compiled entry points; `pnpm build` must have run. */
export function tandemdEntry(): string {
  return built(path.join(repositoryRoot(), 'packages/server/dist/src/main.js'));
}

export function tandemctlEntry(): string {
  return built(path.join(repositoryRoot(), 'packages/cli/dist/src/main.js'));
}

function built(file: string): string {
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`pnpm build\` first`);
  return file;
}
