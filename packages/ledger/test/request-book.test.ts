import { expect } from 'chai';
import { canonicalJson, deepFreeze } from '../src/canonical.js';
import { RequestBook, RequestRecordColumns, requestRecordBytes } from '../src/request-book.js';
import type { RequestRecord } from '../src/snapshot.js';
import type { Lease, Result } from '../src/types.js';

const LEASE: Lease = Object.freeze({
  leaseId: 'lease-1-7-00000000000000ab',
  licenceId: 'cad-1',
  workstationId: 'ws-1',
  parameters: Object.freeze({ host: 'ws1.example', user: 'ann', cores: 8, productVersion: '5.1' }),
  grantedAtMs: 1_780_000_000_000,
  renewedAtMs: 1_780_000_000_000,
  expiresAtMs: 1_780_000_600_000,
  ttlMs: 600_000,
});

function usage(used: number, remaining: number | null): Result {
  return {
    ok: true,
    outcome: { kind: 'usage', licenceId: 'cad-1', periodStartMs: 1_779_926_400_000, used, remaining },
  };
}

function results(): Result[] {
  return [
    usage(10, 90),
    usage(12.5, null),
    usage(0, -0),
    { ok: true, outcome: { kind: 'lease', lease: LEASE } },
    { ok: false, reason: 'seat_limit_reached', message: 'all 3 seats of cad-1 are leased' },
    { ok: true, outcome: { kind: 'intent', leaseId: 'lease-2-9', action: 'release' } },
    // A usage answer with its fields in another order is kept as it is, in that order.
    {
      ok: true,
      outcome: { kind: 'usage', used: 3, licenceId: 'cad-1', periodStartMs: 5, remaining: 1 } as never,
    },
  ];
}

/** Frozen, as the ledger hands every record to the book. */
function record(requestId: string, position: number, result: Result): RequestRecord {
  return deepFreeze({
    requestId,
    index: 1000 + position,
    atMs: 1_780_000_000_000 + position * 7,
    result,
    fingerprint: position * 31,
  });
}

function remainingOf(result: Result | undefined): unknown {
  return result?.ok && result.outcome.kind === 'usage' ? result.outcome.remaining : undefined;
}

/** A deterministic pseudo-random sequence (xorshift), so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

describe('request book', () => {
  it('gives back every record as it was remembered: the same fields in the same order, frozen', () => {
    const book = new RequestBook();
    const remembered = results().map((result, position) => record(`r-${position}`, position, result));
    for (const one of remembered) book.add(one);
    for (const one of remembered) {
      const back = book.get(one.requestId);
      expect(back).to.deep.equal(one);
      expect(JSON.stringify(back)).to.equal(JSON.stringify(one));
      expect(Object.is(remainingOf(back?.result), -0)).to.equal(Object.is(remainingOf(one.result), -0));
      expect(Object.isFrozen(back)).to.equal(true);
      expect(Object.isFrozen(back?.result)).to.equal(true);
    }
    // A lease answer refers to the lease itself rather than a copy.
    const leaseAnswer = book.get('r-3')?.result;
    expect(leaseAnswer?.ok && leaseAnswer.outcome.kind === 'lease' && leaseAnswer.outcome.lease).to.equal(
      LEASE,
    );
  });

  it('keeps the order and content of a Map under adds, replacements and deletions, across growth', () => {
    const next = random(20261207);
    const book = new RequestBook();
    const model = new Map<string, RequestRecord>();
    const choices = results();
    let made = 0;
    for (let step = 0; step < 6000; step++) {
      const roll = next();
      const ids = [...model.keys()];
      if (roll < 0.55 || ids.length === 0) {
        made += 1;
        const one = record(`r-${made}`, made, choices[made % choices.length] as Result);
        book.add(one);
        model.set(one.requestId, one);
      } else if (roll < 0.75) {
        book.deleteOldest();
        model.delete(ids[0] as string);
      } else if (roll < 0.85) {
        const requestId = ids[Math.floor(next() * ids.length)] as string;
        book.delete(requestId);
        model.delete(requestId);
      } else if (roll < 0.9) {
        // Removed and remembered again: it moves to the end.
        const requestId = ids[Math.floor(next() * ids.length)] as string;
        book.delete(requestId);
        model.delete(requestId);
        const again = record(requestId, step, choices[step % choices.length] as Result);
        book.add(again);
        model.set(requestId, again);
      } else {
        const requestId = ids[Math.floor(next() * ids.length)] as string;
        const replaced = deepFreeze({
          ...(model.get(requestId) as RequestRecord),
          otherSideResult: usage(step, 1),
        });
        book.replace(replaced);
        model.set(requestId, replaced);
      }
      if (step % 499 === 0 || step > 5950) {
        expect(book.size).to.equal(model.size);
        expect([...book.view()]).to.deep.equal([...model.values()]);
        const expectedBytes = [...model.values()].reduce((sum, one) => sum + requestRecordBytes(one), 0);
        expect(book.bytes).to.equal(expectedBytes);
        const oldest = model.values().next().value;
        expect(book.oldest()).to.deep.equal(oldest);
        expect(book.oldestAtMs()).to.equal(oldest?.atMs);
      }
    }
    // Grown past a thousand and shrunk again.
    while (model.size > 0) {
      book.deleteOldest();
      model.delete(model.keys().next().value as string);
    }
    expect(book.size).to.equal(0);
    expect(book.bytes).to.equal(0);
    expect(book.oldest()).to.equal(undefined);
  });

  it('hands out a view that later changes leave alone', () => {
    const book = new RequestBook();
    for (let position = 0; position < 3000; position++)
      book.add(record(`r-${position}`, position, usage(position, 1)));
    const view = book.view();
    const before = [...view];
    for (let position = 0; position < 2500; position++) book.deleteOldest();
    for (let position = 3000; position < 6000; position++)
      book.add(record(`r-${position}`, position, usage(position, 2)));
    expect(view.length).to.equal(3000);
    expect([...view]).to.deep.equal(before);
    expect(view.at(2999)?.requestId).to.equal('r-2999');
    expect(view.at(3000)).to.equal(undefined);
  });

  it('estimates bytes from what a record says, not from the order of its fields', () => {
    const ordered = record('r-1', 1, usage(3, 1));
    const reordered = record('r-1', 1, {
      ok: true,
      outcome: {
        kind: 'usage',
        used: 3,
        licenceId: 'cad-1',
        periodStartMs: 1_779_926_400_000,
        remaining: 1,
      } as never,
    });
    expect(requestRecordBytes(reordered)).to.equal(requestRecordBytes(ordered));
    const rejection = record('r-1', 1, { ok: false, reason: 'licence_not_found', message: 'no licence x' });
    expect(requestRecordBytes(rejection)).to.be.above(requestRecordBytes(ordered));
  });

  it('counts a kept result as long as its canonical JSON, whatever the order of its fields', () => {
    const rejection: Result = { ok: false, reason: 'licence_not_found', message: 'no licence "x\u2028"' };
    const reversed = { message: rejection.message, reason: rejection.reason, ok: false } as Result;
    const merged = {
      outcome: { skipped: 0, incidentIds: ['i-1', 'i-2'], kind: 'merged', duplicates: 2, applied: 1.5 },
      ok: true,
    } as unknown as Result;
    const activation = {
      ok: true,
      outcome: {
        kind: 'licence',
        licence: {
          licenceId: 'cad-1',
          features: { éditeur: '3', a: 'b' },
          quota: null,
          grant: { file: '-----BEGIN TANDEM LICENCE-----\n{"x":1}\n', serial: 7 },
        },
      },
    } as unknown as Result;
    const base = requestRecordBytes(record('r-1', 1, rejection));
    expect(requestRecordBytes(record('r-1', 1, reversed))).to.equal(base);
    for (const result of [merged, activation]) {
      expect(requestRecordBytes(record('r-1', 1, result)) - base).to.equal(
        canonicalJson(result).length - canonicalJson(rejection).length,
      );
    }
    const split = deepFreeze({ ...record('r-1', 1, rejection), otherSideResult: activation });
    expect(requestRecordBytes(split) - base).to.be.above(canonicalJson(activation).length);
  });

  it('holds the requests of a restored snapshot in columns, in order, past its first growth', () => {
    const list = new RequestRecordColumns();
    const records = Array.from({ length: 2500 }, (_, position) => {
      const choices = results();
      const one = record(`r-${position}`, position, choices[position % choices.length] as Result);
      return position % 97 === 0 ? deepFreeze({ ...one, otherSideResult: usage(position, 2) }) : one;
    });
    for (const one of records) list.push(one);
    expect(list.length).to.equal(2500);
    expect([...list]).to.deep.equal(records);
    expect(JSON.stringify(list.at(1234))).to.equal(JSON.stringify(records[1234]));
    expect(list.at(2500)).to.equal(undefined);
  });
});
