// Fails the build when src/generated differs from what proto/ generates now.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const committed = path.join(here, '../src/generated');
const fresh = mkdtempSync(path.join(os.tmpdir(), 'tandem-wire-'));

function listFiles(root, prefix = '') {
  return readdirSync(path.join(root, prefix)).flatMap((name) => {
    const relative = path.join(prefix, name);
    return statSync(path.join(root, relative)).isDirectory() ? listFiles(root, relative) : [relative];
  });
}

try {
  execFileSync(process.execPath, [path.join(here, 'generate.mjs'), fresh], { stdio: 'inherit' });
  const expected = listFiles(fresh).sort();
  let actual = [];
  try {
    actual = listFiles(committed).sort();
  } catch {
    // A missing folder is reported below as stale.
  }
  const stale = [];
  for (const file of new Set([...expected, ...actual])) {
    const a = expected.includes(file) ? readFileSync(path.join(fresh, file), 'utf8') : null;
    const b = actual.includes(file) ? readFileSync(path.join(committed, file), 'utf8') : null;
    if (a !== b) stale.push(file);
  }
  if (stale.length > 0) {
    console.error(`packages/wire/src/generated is stale (${stale.length} files differ, e.g. ${stale[0]}).`);
    console.error('Run `pnpm generate` and commit the result.');
    process.exit(1);
  }
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
