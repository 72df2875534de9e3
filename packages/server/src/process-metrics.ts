// prom-client's default metrics (CPU, memory, file descriptors, heap, event-loop lag, GC), in one
// registry per process rather than per node: they describe the process, which nodes started in one
// process (tests) share, and each registration keeps an event-loop monitor and a GC observer alive
// for good, so registering them per node would leak with every node a test starts.
import { collectDefaultMetrics, Registry } from 'prom-client';

let registry: Registry | null = null;

/** The process's registry, made (and its default metrics registered) on first use. */
export function processRegistry(): Registry {
  if (registry === null) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}
