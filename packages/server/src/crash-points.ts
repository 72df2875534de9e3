// Crash points: test-only failpoints at which a replica kills its own process while it writes its
// log or its hard state. No signal from outside can stop a process between two steps of one write,
// so the partition matrix (case 12, test/netns/README.md) arms them through the TANDEM_CRASH_POINT
// environment variable of one tandemd. Unarmed, a replica never consults them.
import assert from 'node:assert/strict';

/**
 * persist_in_flight: the synced write was handed to storage and its fsync has not returned; the
 * write may be on disk whole, not at all, or (for the operating system) in part.
 * after_persist: the write is durable, and nothing that depends on it (an append's
 * acknowledgement, a vote, an answer to a client) has been sent.
 */
export type CrashPoint = 'persist_in_flight' | 'after_persist';
/**
 * entries: a write that appends log entries. vote: a write that records a new term and vote.
 * snapshot: the compaction, which stores a snapshot and deletes the log under it in one batch.
 */
export type CrashSubject = 'entries' | 'vote' | 'snapshot';

export interface CrashPointSpecification {
  point: CrashPoint;
  subject: CrashSubject;
  /** The process dies at the occurrence after this many (0: the first). */
  skip: number;
}

/** The limit on skip, so that a typo cannot arm a crash that never comes. */
export const MAX_CRASH_POINT_SKIP = 1_000_000;

/** Parses `point:subject[:skip]`, e.g. `persist_in_flight:entries:300` or `after_persist:vote`. */
export function parseCrashPoint(text: string): CrashPointSpecification {
  const [point, subject, skipText, ...rest] = text.trim().split(':');
  if (point !== 'persist_in_flight' && point !== 'after_persist') {
    throw new Error(`crash point "${text}": the point must be persist_in_flight or after_persist`);
  }
  if (subject !== 'entries' && subject !== 'vote' && subject !== 'snapshot') {
    throw new Error(`crash point "${text}": the subject must be entries, vote or snapshot`);
  }
  const skip = skipText === undefined ? 0 : Number(skipText);
  if (rest.length > 0 || !Number.isInteger(skip) || skip < 0 || skip > MAX_CRASH_POINT_SKIP) {
    throw new Error(
      `crash point "${text}": the skip count must be an integer from 0 to ${MAX_CRASH_POINT_SKIP}`,
    );
  }
  return { point, subject, skip };
}

/** One armed crash point. `die` must not return in a real process (it sends SIGKILL to itself). */
export class CrashPoints {
  private seen = 0;

  constructor(
    readonly specification: CrashPointSpecification,
    private readonly die: () => void,
  ) {
    assert.ok(specification.skip >= 0 && specification.skip <= MAX_CRASH_POINT_SKIP);
  }

  /**
   * The replica reached `point` for a write carrying `subjects`. At persist_in_flight the process
   * dies on the next turn of the event loop, so that the write is already with storage's thread.
   */
  reached(point: CrashPoint, subjects: ReadonlySet<CrashSubject>): void {
    const { specification } = this;
    if (point !== specification.point || !subjects.has(specification.subject)) return;
    this.seen += 1;
    if (this.seen <= specification.skip) return;
    if (point === 'persist_in_flight') setImmediate(this.die);
    else this.die();
  }
}
