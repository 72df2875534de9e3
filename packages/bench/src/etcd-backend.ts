// etcd as a seat store, done the way a careful etcd user would do it with the etcd3 client:
// - per licence a count key (the seats in use) and a seats key (the limit, read once and cached);
// - per held seat a holder key (licence + workstation);
// - acquire: one transaction "count == c AND holder absent -> count = c+1, put holder", else read
//   both back; release: "count == c AND holder present -> count = c-1, delete holder", else read
//   both back. A failed compare is a conflict: retry with the values the else branch returned.
// - a denial (count >= seats) is only decided on a fresh linearizable read, never a cached count.
// Comparing the count's value rather than its mod revision is equally safe here (the count is
// the whole state the decision depends on) and saves the retries that an acquire+release pair
// elsewhere would otherwise cause. Every call has a deadline, like Tandem's client (3 s).
import { Etcd3, type IKeyValue, type IResponseHeader, type IResponseOp } from 'etcd3';
import {
  type AcquireOutcome,
  type BenchWorkstation,
  forEachLimited,
  type LicenceLayout,
  type SeatBackend,
  type SeatsCheck,
} from './seat-backend.js';

const ROOT = '/tandem-bench/';
const seatsKey = (licenceId: string) => `${ROOT}seats/${licenceId}`;
const countKey = (licenceId: string) => `${ROOT}count/${licenceId}`;
const holderKey = (licenceId: string, workstationId: string) =>
  `${ROOT}holders/${licenceId}/${workstationId}`;

export const ETCD_REQUEST_TIMEOUT_MS = 3000;
/** Conflicts one operation may meet before it gives up with an error. */
export const MAX_CONFLICTS_PER_OPERATION = 1000;
const ACTIVATIONS_IN_PARALLEL = 64;

export class EtcdConflictError extends Error {
  readonly code = 'too_many_conflicts';
  readonly retryable = true;
  constructor(operation: string, licenceId: string) {
    super(`${operation} on ${licenceId} met ${MAX_CONFLICTS_PER_OPERATION} conflicts in a row`);
    this.name = 'EtcdConflictError';
  }
}

export function etcdClient(clientUrls: string[]): Etcd3 {
  return new Etcd3({
    hosts: clientUrls,
    dialTimeout: ETCD_REQUEST_TIMEOUT_MS,
    defaultCallOptions: () => ({ deadline: Date.now() + ETCD_REQUEST_TIMEOUT_MS }),
  });
}

function integerValue(keyValue: IKeyValue | undefined, key: string): number {
  if (keyValue === undefined) throw new Error(`etcd key ${key} is missing`);
  const value = Number(keyValue.value.toString('utf8'));
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`etcd key ${key} holds ${keyValue.value}`);
  return value;
}

function rangeOf(response: IResponseOp | undefined): IKeyValue[] {
  if (response === undefined) throw new Error('etcd transaction answered without its range responses');
  return response.response_range.kvs;
}

class EtcdWorkstation implements BenchWorkstation {
  #term = 0;
  /** Last count this workstation saw per licence: the guess its next compare uses. */
  private readonly knownCounts = new Map<string, number>();
  private readonly seatLimits = new Map<string, number>();

  constructor(
    private readonly client: Etcd3,
    private readonly workstationId: string,
  ) {}

  get term(): number {
    return this.#term;
  }

  async connect(licenceId: string): Promise<void> {
    await this.seatLimit(licenceId);
  }

  async acquire(licenceId: string): Promise<AcquireOutcome> {
    const seats = await this.seatLimit(licenceId);
    const count = countKey(licenceId);
    const holder = holderKey(licenceId, this.workstationId);
    for (let conflicts = 0; conflicts < MAX_CONFLICTS_PER_OPERATION; conflicts += 1) {
      const known = this.knownCounts.get(licenceId) ?? (await this.readCount(licenceId));
      if (known >= seats) {
        const fresh = await this.readCount(licenceId);
        if (fresh >= seats) return { granted: false };
        continue;
      }
      const answer = await this.client
        .if(count, 'Value', '==', String(known))
        .and(holder, 'Create', '==', 0)
        .then(
          this.client.put(count).value(String(known + 1)),
          this.client.put(holder).value(this.workstationId),
        )
        .else(this.client.get(count), this.client.get(holder))
        .commit();
      this.noteHeader(answer.header);
      if (answer.succeeded) {
        this.knownCounts.set(licenceId, known + 1);
        return { granted: true, release: () => this.release(licenceId) };
      }
      this.knownCounts.set(licenceId, integerValue(rangeOf(answer.responses[0])[0], count));
      // The holder key already there means an earlier attempt of ours went through (an answer
      // lost to a timeout): the seat is ours.
      if (rangeOf(answer.responses[1]).length > 0) {
        return { granted: true, release: () => this.release(licenceId) };
      }
    }
    throw new EtcdConflictError('acquire', licenceId);
  }

  async release(licenceId: string): Promise<void> {
    const count = countKey(licenceId);
    const holder = holderKey(licenceId, this.workstationId);
    for (let conflicts = 0; conflicts < MAX_CONFLICTS_PER_OPERATION; conflicts += 1) {
      const known = this.knownCounts.get(licenceId) ?? (await this.readCount(licenceId));
      if (known < 1) {
        // We hold a seat, so the count cannot be zero: the cached value is stale.
        this.knownCounts.set(licenceId, await this.readCount(licenceId));
        const fresh = this.knownCounts.get(licenceId) ?? 0;
        if (fresh < 1) {
          const holders = await this.client.get(holder).exec();
          if (holders.kvs.length === 0) return;
          throw new Error(`etcd holds ${holder} while ${count} is ${fresh}`);
        }
        continue;
      }
      const answer = await this.client
        .if(count, 'Value', '==', String(known))
        .and(holder, 'Create', '>', 0)
        .then(this.client.put(count).value(String(known - 1)), this.client.delete().key(holder))
        .else(this.client.get(count), this.client.get(holder))
        .commit();
      this.noteHeader(answer.header);
      if (answer.succeeded) {
        this.knownCounts.set(licenceId, known - 1);
        return;
      }
      this.knownCounts.set(licenceId, integerValue(rangeOf(answer.responses[0])[0], count));
      // No holder key: an earlier attempt of ours already released the seat.
      if (rangeOf(answer.responses[1]).length === 0) return;
    }
    throw new EtcdConflictError('release', licenceId);
  }

  async reportUsage(): Promise<void> {
    throw new Error('the usage workload is not run against etcd');
  }

  close(): void {
    this.client.close();
  }

  private async readCount(licenceId: string): Promise<number> {
    const key = countKey(licenceId);
    const answer = await this.client.get(key).exec();
    this.noteHeader(answer.header);
    const value = integerValue(answer.kvs[0], key);
    this.knownCounts.set(licenceId, value);
    return value;
  }

  private async seatLimit(licenceId: string): Promise<number> {
    const cached = this.seatLimits.get(licenceId);
    if (cached !== undefined) return cached;
    const key = seatsKey(licenceId);
    const answer = await this.client.get(key).exec();
    this.noteHeader(answer.header);
    const seats = integerValue(answer.kvs[0], key);
    this.seatLimits.set(licenceId, seats);
    return seats;
  }

  private noteHeader(header: IResponseHeader): void {
    this.#term = Math.max(this.#term, Number(header.raft_term));
  }
}

export class EtcdBackend implements SeatBackend {
  readonly system = 'etcd' as const;
  private readonly admin: Etcd3;

  constructor(private readonly clientUrls: string[]) {
    this.admin = etcdClient(clientUrls);
  }

  async activate(licences: LicenceLayout[]): Promise<void> {
    await forEachLimited(licences, ACTIVATIONS_IN_PARALLEL, async ({ licenceId, seats }) => {
      const answer = await this.admin
        .if(countKey(licenceId), 'Create', '==', 0)
        .then(
          this.admin.put(seatsKey(licenceId)).value(String(seats)),
          this.admin.put(countKey(licenceId)).value('0'),
        )
        .commit();
      if (!answer.succeeded) throw new Error(`licence ${licenceId} is already in etcd`);
    });
  }

  async workstation(workstationId: string): Promise<BenchWorkstation> {
    return new EtcdWorkstation(etcdClient(this.clientUrls), workstationId);
  }

  async seatsInUse(): Promise<SeatsCheck> {
    const counts = await this.admin.getAll().prefix(`${ROOT}count/`).strings();
    const holders = await this.admin.getAll().prefix(`${ROOT}holders/`).count();
    return {
      seatsInUse: Object.values(counts).reduce((sum, value) => sum + Number(value), 0),
      holders,
    };
  }

  async usageUnits(): Promise<null> {
    return null;
  }

  close(): void {
    this.admin.close();
  }
}
