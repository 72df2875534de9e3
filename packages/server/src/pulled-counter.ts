// A Prometheus counter whose value is read at scrape time from a count kept elsewhere (the
// driver's statistics), so that the hot path pays nothing for it. The count only grows within a
// process, like the counter; a counter restarts at zero with the process, which Prometheus's
// rate() expects.
import { Counter, type Registry } from 'prom-client';

export function pulledCounter(
  registry: Registry,
  name: string,
  help: string,
  /** The count now; null while there is nothing to read (the node is still starting). */
  read: () => number | null,
): Counter {
  let counted = 0;
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const value = read();
      if (value === null || value <= counted) return;
      this.inc(value - counted);
      counted = value;
    },
  });
}
