// Refusals of peer and witness messages, logged at most once a second per kind. A peer stuck in a
// loop, or one that floods a node with bad messages, must not fill the disk with the same line: the
// first refusal of a kind in a window is logged at once, the rest are counted, and the next line of
// that kind says how many were left out.
import type { Logger } from './logger.js';

/** At most this many kinds are remembered; kinds come from code, so this is never reached in practice. */
const MAX_KINDS = 256;

export interface RefusalLogOptions {
  logger: Logger;
  clock: () => number;
  /** One line per kind per this many ms; 1000 unless told. */
  windowMs?: number;
}

interface KindState {
  windowStartMs: number;
  suppressed: number;
}

export class RefusalLog {
  private readonly kinds = new Map<string, KindState>();
  private readonly windowMs: number;

  constructor(private readonly options: RefusalLogOptions) {
    this.windowMs = options.windowMs ?? 1000;
  }

  /**
   * Logs a refusal unless one of the same kind was logged within the window; `level` is 'warn' for
   * messages that should not happen (a malformed or forged message) and 'info' for ones that are
   * part of normal operation but may repeat (a rejected append while a leader probes).
   */
  note(
    kind: string,
    message: string,
    fields: Record<string, unknown>,
    level: 'warn' | 'info' = 'warn',
  ): void {
    const now = this.options.clock();
    const state = this.kinds.get(kind);
    if (state !== undefined && now - state.windowStartMs < this.windowMs) {
      state.suppressed += 1;
      return;
    }
    const suppressed = state?.suppressed ?? 0;
    if (state === undefined && this.kinds.size >= MAX_KINDS) this.forgetOldest();
    this.kinds.set(kind, { windowStartMs: now, suppressed: 0 });
    const line = { ...fields, kind, ...(suppressed > 0 ? { suppressed } : {}) };
    if (level === 'warn') this.options.logger.warn(message, line);
    else this.options.logger.info(message, line);
  }

  private forgetOldest(): void {
    const oldest = this.kinds.keys().next();
    if (oldest.done !== true) this.kinds.delete(oldest.value);
  }
}

/** The refusal kinds of the consensus core that are part of normal operation (logged at info). */
const ROUTINE_CORE_REFUSALS = new Set(['append_mismatch']);

/** The consensus core's refusal sink (RaftConfig.refusal, WitnessConfig.refusal), rate-limited. */
export function coreRefusalSink(refusals: RefusalLog): (kind: string, line: string) => void {
  return (kind, line) =>
    refusals.note(
      `core:${kind}`,
      'consensus refused a message',
      { event: line },
      ROUTINE_CORE_REFUSALS.has(kind) ? 'info' : 'warn',
    );
}
