// A bounded FIFO of the last indices of append_entries messages sent to one follower and not yet
// acknowledged. It is what limits pipelining: a follower with a full window gets nothing more
// until an acknowledgement frees a slot.
import assert from 'node:assert/strict';

export class Inflights {
  private readonly lastIndices: number[] = [];

  constructor(readonly capacity: number) {
    assert.ok(
      Number.isSafeInteger(capacity) && capacity >= 1,
      'the in-flight window holds at least one message',
    );
  }

  get count(): number {
    return this.lastIndices.length;
  }

  full(): boolean {
    return this.lastIndices.length >= this.capacity;
  }

  /** Records a message whose entries end at lastIndex; messages go out in increasing order. */
  add(lastIndex: number): void {
    assert.ok(!this.full(), 'no message may be sent while the in-flight window is full');
    const previous = this.lastIndices.at(-1);
    assert.ok(
      previous === undefined || lastIndex > previous,
      `in-flight index ${lastIndex} after ${previous}`,
    );
    this.lastIndices.push(lastIndex);
  }

  /** Frees every message acknowledged by a match at index. */
  freeTo(index: number): void {
    let freed = 0;
    while (
      freed < this.lastIndices.length &&
      (this.lastIndices[freed] ?? Number.POSITIVE_INFINITY) <= index
    ) {
      freed += 1;
    }
    this.lastIndices.splice(0, freed);
  }

  /** Frees the oldest message: a sign of life without progress lets one more message probe the link. */
  freeFirst(): void {
    this.lastIndices.shift();
  }

  reset(): void {
    this.lastIndices.length = 0;
  }
}
