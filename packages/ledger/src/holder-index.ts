// The live leases of each (licence, workstation), by licence and then by workstation id. Two levels
// of maps rather than one keyed by a joined "licence workstation" string: the joined key was a
// string of its own for every live lease (about 40 bytes at 100,000 leases), while these keys are
// the ids the lease already holds.

/** The lease ids a holder holds, in grant order: one id alone, or an array of two or more. */
export type HeldLeaseIds = string | string[];

export class HolderIndex {
  private readonly byLicence = new Map<string, Map<string, HeldLeaseIds>>();

  get(licenceId: string, workstationId: string): HeldLeaseIds | undefined {
    return this.byLicence.get(licenceId)?.get(workstationId);
  }

  set(licenceId: string, workstationId: string, held: HeldLeaseIds): void {
    let holders = this.byLicence.get(licenceId);
    if (holders === undefined) {
      holders = new Map();
      this.byLicence.set(licenceId, holders);
    }
    holders.set(workstationId, held);
  }

  delete(licenceId: string, workstationId: string): void {
    const holders = this.byLicence.get(licenceId);
    if (holders === undefined) return;
    holders.delete(workstationId);
    if (holders.size === 0) this.byLicence.delete(licenceId);
  }
}
