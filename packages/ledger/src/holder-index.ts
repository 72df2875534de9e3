// The live leases of each (licence, workstation), by licence and then by workstation id, which is
// also the ledger's index of the leases of a licence. Two levels of maps rather than one keyed by a
// joined "licence workstation" string, and no separate set of lease ids per licence: the joined key
// was a string of its own for every live lease (about 40 bytes at 100,000 leases) and the set
// another entry per lease, while these keys are ids the lease already holds.

/** The lease ids a holder holds, in grant order: one id alone, or an array of two or more. */
export type HeldLeaseIds = string | string[];

interface LicenceHolders {
  readonly byWorkstation: Map<string, HeldLeaseIds>;
  /** Lease ids across the workstations (a holder holds two or more only after a merge). */
  leaseCount: number;
}

function countOf(held: HeldLeaseIds | undefined): number {
  return held === undefined ? 0 : typeof held === 'string' ? 1 : held.length;
}

export class HolderIndex {
  private readonly byLicence = new Map<string, LicenceHolders>();

  get(licenceId: string, workstationId: string): HeldLeaseIds | undefined {
    return this.byLicence.get(licenceId)?.byWorkstation.get(workstationId);
  }

  /** Sets what a holder holds (at least one lease id). */
  set(licenceId: string, workstationId: string, held: HeldLeaseIds): void {
    let holders = this.byLicence.get(licenceId);
    if (holders === undefined) {
      holders = { byWorkstation: new Map(), leaseCount: 0 };
      this.byLicence.set(licenceId, holders);
    }
    holders.leaseCount += countOf(held) - countOf(holders.byWorkstation.get(workstationId));
    holders.byWorkstation.set(workstationId, held);
  }

  delete(licenceId: string, workstationId: string): void {
    const holders = this.byLicence.get(licenceId);
    if (holders === undefined) return;
    holders.leaseCount -= countOf(holders.byWorkstation.get(workstationId));
    holders.byWorkstation.delete(workstationId);
    if (holders.byWorkstation.size === 0) this.byLicence.delete(licenceId);
  }

  /** The live leases of a licence. */
  leaseCount(licenceId: string): number {
    return this.byLicence.get(licenceId)?.leaseCount ?? 0;
  }

  /** The ids of the live leases of a licence, in no particular order (callers sort). */
  *leaseIds(licenceId: string): IterableIterator<string> {
    const holders = this.byLicence.get(licenceId);
    if (holders === undefined) return;
    for (const held of holders.byWorkstation.values()) {
      if (typeof held === 'string') yield held;
      else yield* held;
    }
  }
}
