import type { Entry } from '@tandem/consensus';
import { expect } from 'chai';
import { SnapshotDataError } from '../src/errors.js';
import {
  chainEntry,
  decodeNodeSnapshot,
  encodeNodeSnapshot,
  GENESIS_LOG_HASH,
  LogHashChain,
} from '../src/log-hash.js';

const entry = (index: number, term: number, text: string, kind: Entry['kind'] = 'normal'): Entry => ({
  index,
  term,
  kind,
  data: new TextEncoder().encode(text),
});

describe('log hash chain', () => {
  it('tells apart logs that differ in any entry, and agrees on equal logs', () => {
    const run = (entries: Entry[]) => {
      const chain = new LogHashChain();
      for (const item of entries) chain.extend(item);
      return chain.current?.hash;
    };
    const log = [entry(1, 1, '', 'noop'), entry(2, 1, 'a'), entry(3, 2, 'b')];
    expect(run(log)).to.equal(run(log.map((item) => ({ ...item }))));
    expect(run(log)).to.not.equal(run([log[0] as Entry, entry(2, 1, 'A'), log[2] as Entry]));
    expect(run(log)).to.not.equal(run([log[0] as Entry, log[1] as Entry, entry(3, 3, 'b')]));
    expect(run(log)).to.not.equal(run([log[0] as Entry, log[1] as Entry, entry(3, 2, 'b', 'configuration')]));
  });

  it('continues from a snapshot as if it had applied the entries itself, and remembers recent values', () => {
    const whole = new LogHashChain();
    const entries = [entry(1, 1, 'a'), entry(2, 1, 'b'), entry(3, 2, 'c')];
    for (const item of entries) whole.extend(item);
    const restored = new LogHashChain();
    const atTwo = chainEntry(chainEntry(GENESIS_LOG_HASH, entries[0] as Entry), entries[1] as Entry);
    const snapshot = encodeNodeSnapshot(atTwo, new TextEncoder().encode('{"ledger":true}\n'));
    const decoded = decodeNodeSnapshot(snapshot, 2);
    expect(new TextDecoder().decode(decoded.ledger)).to.equal('{"ledger":true}\n');
    restored.restore(decoded.logHash);
    restored.extend(entries[2] as Entry);
    expect(restored.current).to.deep.equal(whole.current);
    expect(whole.at(2)).to.deep.equal(atTwo);
  });

  it('reads a snapshot without a header as all ledger with an unknown chain, and refuses a bad header', () => {
    const legacy = new TextEncoder().encode('{"format":"tandem-ledger-snapshot"}\n');
    expect(decodeNodeSnapshot(legacy, 5)).to.deep.equal({ logHash: null, ledger: legacy });
    const wrongIndex = encodeNodeSnapshot({ index: 4, hash: GENESIS_LOG_HASH.hash }, new Uint8Array(0));
    expect(() => decodeNodeSnapshot(wrongIndex, 5)).to.throw(SnapshotDataError);
  });
});
