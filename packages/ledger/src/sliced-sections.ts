// Walks a frozen view of the ledger a slice at a time: sections of records in a fixed order, each
// with a size and a way to take the record at a position. The snapshot encoder (snapshot.ts) and the
// state hasher (state-hash.ts) both write a view this way across many turns of a node's event loop,
// so that the work is spread out, and both give the same result however it is sliced.
import assert from 'node:assert/strict';

/** One section: how many records it has, what to do on entering it, and how to take a record. */
export interface Section {
  readonly size: number;
  /** Called once, when the walk reaches the section (even an empty one). */
  begin?(): void;
  take(position: number): void;
}

export class SlicedSections {
  /** Records in all sections. */
  readonly total: number;
  private sectionNumber = 0;
  private position = 0;
  private begun = false;
  private taken = 0;

  constructor(private readonly sections: readonly Section[]) {
    this.total = sections.reduce((sum, section) => sum + section.size, 0);
  }

  /** Records taken so far. */
  get recordsTaken(): number {
    return this.taken;
  }

  /** True once every section has been entered and every record taken. */
  get finished(): boolean {
    return this.sectionNumber === this.sections.length;
  }

  /** Takes up to maxRecords more records; true once the walk is finished. */
  takeSome(maxRecords: number): boolean {
    assert.ok(maxRecords >= 1, 'a slice takes at least one record');
    let budget = maxRecords;
    while (this.sectionNumber < this.sections.length) {
      const section = this.sections[this.sectionNumber] as Section;
      if (!this.begun) {
        section.begin?.();
        this.begun = true;
      }
      if (this.position >= section.size) {
        this.sectionNumber += 1;
        this.position = 0;
        this.begun = false;
        continue;
      }
      if (budget === 0) break;
      const end = Math.min(section.size, this.position + budget);
      for (let position = this.position; position < end; position++) section.take(position);
      budget -= end - this.position;
      this.taken += end - this.position;
      this.position = end;
    }
    return this.finished;
  }
}
