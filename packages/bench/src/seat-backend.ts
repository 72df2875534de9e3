// What a workload needs from a seat store. Tandem (through its client library) and etcd (with
// transactions on a count key and a holder key) both implement it, so that the loops, the checks
// and the failover rounds are written once and measure both systems the same way.

/** 'tandem-plaintext': Tandem with insecure: true, beside the default TLS run (bench --tls-cost). */
export type SystemName = 'tandem' | 'tandem-plaintext' | 'etcd';

export interface LicenceLayout {
  licenceId: string;
  seats: number;
}

/** A granted seat carries the way to give it back; a denial is an answer, not an error. */
export type AcquireOutcome = { granted: true; release: () => Promise<void> } | { granted: false };

/** One simulated workstation with its own client, as a real workstation would have. */
export interface BenchWorkstation {
  /**
   * Connects before the run's clock starts, as a real workstation does long before it works:
   * Tandem's client finishes its TLS handshakes with every node; etcd's reads the licence's seat
   * limit, which its first acquire would. Throws when the connection is not up in time.
   */
  connect(licenceId: string): Promise<void>;
  acquire(licenceId: string): Promise<AcquireOutcome>;
  reportUsage(licenceId: string, units: number): Promise<void>;
  /**
   * The highest leader term seen in an answer (Tandem's fencing term, etcd's raft term). A success
   * while it is above the term at a kill proves that a new leader served it.
   */
  readonly term: number;
  close(): void;
}

export interface SeatsCheck {
  /** Sum of every licence's seats in use. */
  seatsInUse: number;
  /** Leases (Tandem) or holder keys (etcd) still present. */
  holders: number;
}

export interface SeatBackend {
  readonly system: SystemName;
  activate(licences: LicenceLayout[]): Promise<void>;
  workstation(workstationId: string): Promise<BenchWorkstation>;
  /** Over every licence of the store: after a run both must be zero. */
  seatsInUse(): Promise<SeatsCheck>;
  /** Units recorded for these licences, or null when the system does not count usage here. */
  usageUnits(licenceIds: string[]): Promise<number | null>;
  close(): void;
}

/** Runs `task` on every item with at most `parallel` at a time, in order of start. */
export async function forEachLimited<T>(
  items: readonly T[],
  parallel: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`parallel must be >= 1, not ${parallel}`);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
}
