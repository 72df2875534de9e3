// Which licences get their own label value in the metrics. A licence label multiplies every
// per-licence family by the number of licences, and a ledger may hold 100 000 of them, so at most
// MAX_LABELLED_LICENCES licences are labelled: the first ones seen (at a scrape, in licence id
// order, or by a request), kept for the life of the process so that a series never changes hands.
// Any other licence, and a licence id that names no licence (a request for an unknown one), is
// counted under OTHER_LICENCE; per-licence gauges leave it out (tandem_licences_unlabelled says how
// many are left out).

/** The most licences given their own label value. */
export const MAX_LABELLED_LICENCES = 100;
/** The label value of every licence beyond the cap, and of ids that name no licence (no id has parentheses). */
export const OTHER_LICENCE = '(other)';

export class LicenceLabels {
  private readonly labelled = new Set<string>();

  constructor(
    /** Whether the ledger holds this licence (only real licences are admitted). */
    private readonly exists: (licenceId: string) => boolean,
    private readonly limit = MAX_LABELLED_LICENCES,
  ) {}

  /** The label value for a licence id, admitting it when it is a licence and there is room. */
  labelOf(licenceId: string): string {
    if (this.labelled.has(licenceId)) return licenceId;
    if (this.labelled.size >= this.limit || !this.exists(licenceId)) return OTHER_LICENCE;
    this.labelled.add(licenceId);
    return licenceId;
  }

  /** Whether every label value is taken: no other licence will get one. */
  get full(): boolean {
    return this.labelled.size >= this.limit;
  }

  /** The licences with a label value of their own, in the order admitted. */
  labelledLicences(): ReadonlySet<string> {
    return this.labelled;
  }
}
