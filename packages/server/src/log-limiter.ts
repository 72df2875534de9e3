// Repeated warnings, rate-limited: a flood of refused calls (a scanner, a misconfigured client, a
// hostile peer) must not fill the disk with log lines. The first line of a kind in each interval
// is written; the others are counted and reported with the next one written.
import type { Logger } from './logger.js';

/** Kinds tracked at once; beyond this the oldest are forgotten (a limit on everything). */
const MAX_KINDS = 1024;

export class LogLimiter {
  private readonly kinds = new Map<string, { lastAtMs: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  warn(message: string, kind: string, details: Record<string, unknown>): void {
    const nowMs = this.clock();
    const seen = this.kinds.get(kind);
    if (seen !== undefined && nowMs - seen.lastAtMs < this.intervalMs) {
      seen.suppressed += 1;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.kinds.delete(kind);
    if (this.kinds.size >= MAX_KINDS) {
      const oldest = this.kinds.keys().next().value;
      if (oldest !== undefined) this.kinds.delete(oldest);
    }
    this.kinds.set(kind, { lastAtMs: nowMs, suppressed: 0 });
    this.logger.warn(message, suppressed > 0 ? { ...details, suppressedSinceLast: suppressed } : details);
  }
}
