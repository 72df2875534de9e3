// A seat held by this workstation. The handle renews the lease in the background every third of
// its TTL until it is released or lost. A renewal that no server answers keeps being retried past
// the lease's local expiry (measured from when the last successful renewal was sent), for
// the client's renewalGraceMs: a new leader extends every live lease by the time the failover took, so the seat
// is still there when the cluster answers again. Only the server's word (lease_not_found) or the end
// of the grace declares the lease lost.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { NotFoundError, RejectedError, type TandemError } from './errors.js';
import type { Lease } from './types.js';

/**
 * What a handle needs from its client: one logical operation each (one request id each). Each
 * answers with the lease, or 'intent' when a pair's leader serving without its peer did not know
 * the lease and recorded the request as an intent for the merge (see workstation.proto).
 */
export interface LeaseOperations {
  /** Renews the lease; stops retrying at `untilMs` (a performance.now() time). */
  renew(leaseId: string, untilMs: number): Promise<Lease | 'intent'>;
  release(leaseId: string): Promise<Lease | 'intent'>;
}

export type LeaseLostReason = 'lease_not_found' | 'expired' | string;

export interface LeaseLostEvent {
  leaseId: string;
  /** 'lease_not_found' (revoked or expired on the server), 'expired' (renewal kept failing), or another ledger reason. */
  reason: LeaseLostReason;
  error: TandemError | null;
}

export type LeaseState = 'held' | 'released' | 'lost';

/** The smallest pause between renewal attempts after a failure, so that a dying lease cannot spin. */
const MIN_RENEWAL_RETRY_MS = 10;

export class LeaseHandle extends EventEmitter {
  #lease: Lease;
  #state: LeaseState = 'held';
  #timer: NodeJS.Timeout | null = null;
  /** performance.now() time at which the lease expires at the latest, as far as this side knows. */
  #expiresAtLocalMs: number;
  #release: Promise<void> | null = null;
  readonly #operations: LeaseOperations;

  /** `sentAtLocalMs` is the performance.now() time at which the acquire request was first sent. */
  constructor(
    lease: Lease,
    operations: LeaseOperations,
    sentAtLocalMs: number,
    private readonly renewalGraceMs: number,
  ) {
    super();
    if (!(lease.ttlMs > 0)) throw new RangeError(`lease ${lease.leaseId} has no TTL`);
    this.#lease = lease;
    this.#operations = operations;
    this.#expiresAtLocalMs = sentAtLocalMs + lease.ttlMs;
    this.#schedule(this.renewalIntervalMs);
  }

  get lease(): Lease {
    return this.#lease;
  }

  get leaseId(): string {
    return this.#lease.leaseId;
  }

  get state(): LeaseState {
    return this.#state;
  }

  /** Renewal runs every third of the TTL, so that two renewals can fail before the lease expires. */
  get renewalIntervalMs(): number {
    return Math.max(1, Math.floor(this.#lease.ttlMs / 3));
  }

  /**
   * Stops renewal and releases the seat. Idempotent. A lease already gone on the server
   * (lease_not_found) counts as released; an unreachable cluster rejects, and the seat then frees
   * itself when the TTL runs out.
   */
  release(): Promise<void> {
    if (this.#release !== null) return this.#release;
    const wasHeld = this.#state === 'held';
    this.#stopRenewal();
    if (!wasHeld) {
      this.#release = Promise.resolve();
      return this.#release;
    }
    this.#state = 'released';
    this.#release = this.#operations.release(this.#lease.leaseId).then(
      (lease) => {
        // Recorded as an intent: done; the merge ends the lease when it arrives.
        if (lease !== 'intent') this.#lease = lease;
        this.emit('released', this.#lease);
      },
      (error: unknown) => {
        if (!(error instanceof NotFoundError)) throw error;
        this.emit('released', this.#lease);
      },
    );
    return this.#release;
  }

  /** Stops renewal without telling the server (the client is closing); the lease runs out by TTL. */
  abandon(): void {
    this.#stopRenewal();
    if (this.#state === 'held') this.#state = 'released';
  }

  #stopRenewal(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#renew();
    }, delayMs);
    // Renewal alone must not keep a process alive.
    this.#timer.unref();
  }

  async #renew(): Promise<void> {
    if (this.#state !== 'held') return;
    const sentAtLocalMs = performance.now();
    let renewed: Lease | 'intent';
    try {
      renewed = await this.#operations.renew(
        this.#lease.leaseId,
        this.#expiresAtLocalMs + this.renewalGraceMs,
      );
    } catch (error) {
      this.#renewalFailed(error);
      return;
    }
    if (this.#state !== 'held') return;
    // Recorded as an intent (the merge renews the lease from when it was asked, with its TTL): the
    // lease is kept as it was, and the local expiry is extended by its TTL like a renewal's.
    if (renewed !== 'intent') this.#lease = renewed;
    this.#expiresAtLocalMs = sentAtLocalMs + this.#lease.ttlMs;
    this.#schedule(this.renewalIntervalMs);
    this.emit('renewed', this.#lease);
  }

  #renewalFailed(error: unknown): void {
    if (this.#state !== 'held') return;
    const typed = error as TandemError;
    if (error instanceof NotFoundError || error instanceof RejectedError) {
      this.#lose(typed.code, typed);
      return;
    }
    const now = performance.now();
    if (now >= this.#expiresAtLocalMs + this.renewalGraceMs) {
      this.#lose('expired', typed);
      return;
    }
    // Before the local expiry, retry within what is left; after it, at a steady pace until the
    // cluster answers or the grace ends.
    const remainingMs = this.#expiresAtLocalMs - now;
    const delayMs =
      remainingMs > 0
        ? Math.min(this.renewalIntervalMs, Math.floor(remainingMs / 2))
        : this.renewalIntervalMs;
    this.#schedule(Math.max(MIN_RENEWAL_RETRY_MS, delayMs));
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  #lose(reason: LeaseLostReason, error: TandemError | null): void {
    this.#stopRenewal();
    this.#state = 'lost';
    const event: LeaseLostEvent = { leaseId: this.#lease.leaseId, reason, error };
    this.emit('lease-lost', event);
  }
}
