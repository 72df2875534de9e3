// mkdir -p, one level at a time. Node's own recursive mkdir never returns for a path under /proc: it
// retries a creation the kernel refuses with ENOENT, forever. A data directory there hung tandemd
// silently (issue 12). Synchronous: it runs once, at start, before anything is served.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Creates `directory` and its missing ancestors; throws the first error (ENOENT, EACCES...). */
export function makeDirectory(directory: string): void {
  const missing: string[] = [];
  // Up to the nearest ancestor that exists: bounded by the path's depth.
  for (let current = resolve(directory); ; ) {
    try {
      statSync(current);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const each of missing.reverse()) {
    try {
      mkdirSync(each);
    } catch (error) {
      // Made by someone else meanwhile: fine.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
