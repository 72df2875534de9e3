import { decodeConfiguration, encodeConfiguration } from '@tandem/consensus';
import type { InstallSnapshotChunk, InstallSnapshotChunk__Output } from '@tandem/wire';
import { expect } from 'chai';
import { InvalidArgumentError } from '../src/errors.js';
import {
  type ChunkOutcome,
  SnapshotReceiver,
  snapshotChecksum,
  snapshotChunks,
} from '../src/snapshot-stream.js';

/** What the follower's handler sees: every field present, bytes as Buffers. */
function asReceived(chunk: InstallSnapshotChunk): InstallSnapshotChunk__Output {
  return {
    term: Number(chunk.term),
    leaderId: String(chunk.leaderId),
    snapshotIndex: Number(chunk.snapshotIndex),
    snapshotTerm: Number(chunk.snapshotTerm),
    configuration: Buffer.from(chunk.configuration as Uint8Array),
    offset: Number(chunk.offset),
    data: Buffer.from(chunk.data as Uint8Array),
    totalBytes: Number(chunk.totalBytes),
    checksum: String(chunk.checksum),
    done: Boolean(chunk.done),
  };
}

describe('snapshot streaming', () => {
  const data = new Uint8Array(10_000).map((_, position) => (position * 7) % 251);
  const configuration = { voters: ['backup', 'main'], inSync: ['backup', 'main'] };
  const offer = {
    term: 5,
    leaderId: 'main',
    snapshotIndex: 300,
    snapshotTerm: 4,
    configuration: encodeConfiguration(configuration),
    totalBytes: data.byteLength,
    checksum: snapshotChecksum(data),
  };

  /** Feeds one stream's chunks; stops at the first outcome that is not 'continue'. */
  function feed(receiver: SnapshotReceiver, chunks: InstallSnapshotChunk[]): ChunkOutcome {
    const stream = receiver.openStream();
    let outcome: ChunkOutcome = { kind: 'continue' };
    chunks.forEach((chunk, position) => {
      if (outcome.kind !== 'continue') return;
      outcome = receiver.receive(stream, asReceived(chunk), position === 0);
    });
    return outcome;
  }

  it('describes the snapshot a first chunk offers, without its data; not a resumed stream', () => {
    const chunks = [...snapshotChunks(offer, data, 0, 4_000)];
    const receiver = new SnapshotReceiver();
    const offered = receiver.offered(asReceived(chunks[0] as InstallSnapshotChunk));
    expect(offered?.offer).to.deep.equal(offer);
    expect(offered?.snapshot.metadata).to.deep.equal({ index: 300, term: 4, configuration });
    expect(offered?.snapshot.data.byteLength).to.equal(0);
    expect(receiver.bufferedBytes()).to.equal(0);
    expect(receiver.offered(asReceived(chunks[1] as InstallSnapshotChunk))).to.equal(null);
    const resumed = [...snapshotChunks(offer, data, 4_000, 4_000)][0] as InstallSnapshotChunk;
    expect(receiver.offered(asReceived(resumed))).to.equal(null);
  });

  it('cuts a snapshot into chunks with offsets, sizes and the configuration on the first', () => {
    const chunks = [...snapshotChunks(offer, data, 0, 4096)];
    expect(chunks.map((chunk) => chunk.offset)).to.deep.equal([0, 4096, 8192]);
    expect(chunks.map((chunk) => chunk.done)).to.deep.equal([false, false, true]);
    expect(chunks.map((chunk) => (chunk.configuration as Buffer).byteLength > 0)).to.deep.equal([
      true,
      false,
      false,
    ]);
    expect(
      chunks.every((chunk) => chunk.totalBytes === 10_000 && chunk.checksum === offer.checksum),
    ).to.equal(true);
    const empty = [...snapshotChunks({ ...offer, totalBytes: 0 }, new Uint8Array(0), 0, 4096)];
    expect(empty.map((chunk) => [chunk.offset, chunk.done])).to.deep.equal([[0, true]]);
  });

  it('assembles a whole stream and checks it', () => {
    const receiver = new SnapshotReceiver();
    const outcome = feed(receiver, [...snapshotChunks(offer, data, 0, 3000)]);
    expect(outcome.kind).to.equal('complete');
    if (outcome.kind !== 'complete') return;
    expect(outcome.snapshot.metadata).to.deep.equal({ index: 300, term: 4, configuration });
    expect(Buffer.from(outcome.snapshot.data).equals(Buffer.from(data))).to.equal(true);
    expect(decodeConfiguration(outcome.offer.configuration)).to.deep.equal(configuration);
    expect(receiver.bytesReceived()).to.equal(0);
  });

  it('resumes a broken stream from what the follower holds', () => {
    const receiver = new SnapshotReceiver();
    const chunks = [...snapshotChunks(offer, data, 0, 3000)];
    // The first stream breaks after two chunks.
    expect(feed(receiver, chunks.slice(0, 2)).kind).to.equal('continue');
    expect(receiver.bytesReceived(offer)).to.equal(6000);
    // The leader's next attempt starts from 0; the follower asks it to resume from 6000.
    expect(feed(receiver, chunks)).to.deep.equal({ kind: 'resume', bytesReceived: 6000 });
    const outcome = feed(receiver, [...snapshotChunks(offer, data, 6000, 3000)]);
    expect(outcome.kind).to.equal('complete');
    if (outcome.kind === 'complete') {
      expect(Buffer.from(outcome.snapshot.data).equals(Buffer.from(data))).to.equal(true);
    }
  });

  it('asks to start over when it holds nothing of the offer', () => {
    const receiver = new SnapshotReceiver();
    expect(feed(receiver, [...snapshotChunks(offer, data, 4000, 3000)])).to.deep.equal({
      kind: 'resume',
      bytesReceived: 0,
    });
    // A partial snapshot of another offer does not count.
    feed(receiver, [...snapshotChunks(offer, data, 0, 3000)].slice(0, 1));
    const newer = { ...offer, term: 6 };
    expect(receiver.bytesReceived(newer)).to.equal(0);
    expect(feed(receiver, [...snapshotChunks(newer, data, 3000, 3000)])).to.deep.equal({
      kind: 'resume',
      bytesReceived: 0,
    });
  });

  it('refuses a damaged snapshot and forgets it', () => {
    const receiver = new SnapshotReceiver();
    const chunks = [...snapshotChunks(offer, data, 0, 3000)].map(asReceived);
    const last = chunks.at(-1);
    if (last !== undefined) last.data = Buffer.from(last.data).fill(0);
    const stream = receiver.openStream();
    let error: unknown = null;
    try {
      chunks.forEach((chunk, position) => {
        receiver.receive(stream, chunk, position === 0);
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).to.equal('checksum');
    expect(receiver.bytesReceived(offer)).to.equal(0);
  });

  it('grows its buffer with the bytes that arrive, whatever size the first chunk claims', () => {
    const receiver = new SnapshotReceiver(2 * 1024 * 1024 * 1024);
    const claimed = { ...offer, totalBytes: 1024 * 1024 * 1024 };
    const [first] = [...snapshotChunks(offer, data, 0, 3000)];
    const chunk = asReceived({ ...(first as InstallSnapshotChunk), totalBytes: claimed.totalBytes });
    expect(receiver.receive(receiver.openStream(), chunk, true)).to.deep.equal({ kind: 'continue' });
    expect(receiver.bufferedBytes()).to.be.at.most(64 * 1024);
    expect(receiver.bytesReceived()).to.equal(3000);
  });

  it('refuses a snapshot over the limit, and a configuration that names other voters', () => {
    const receiver = new SnapshotReceiver(5000, { voters: ['backup', 'main'], witnessId: null });
    const chunks = [...snapshotChunks(offer, data, 0, 3000)].map(asReceived);
    const first = chunks[0] as InstallSnapshotChunk__Output;
    try {
      receiver.receive(receiver.openStream(), first, true);
      throw new Error('expected a refusal');
    } catch (error) {
      expect((error as InvalidArgumentError).field).to.equal('total_bytes');
    }
    const open = new SnapshotReceiver(50_000, { voters: ['backup', 'main'], witnessId: null });
    const foreign = {
      ...first,
      configuration: Buffer.from(encodeConfiguration({ voters: ['main', 'mallory'], inSync: ['main'] })),
    };
    try {
      open.receive(open.openStream(), foreign, true);
      throw new Error('expected a refusal');
    } catch (error) {
      expect((error as InvalidArgumentError).field).to.equal('configuration');
    }
  });

  it('refuses malformed chunks, naming the field', () => {
    const receiver = new SnapshotReceiver(50_000);
    const chunk = () => asReceived([...snapshotChunks(offer, data, 0, 3000)][0] as InstallSnapshotChunk);
    const fieldOf = (change: (value: InstallSnapshotChunk__Output) => void): string => {
      const value = chunk();
      change(value);
      try {
        receiver.receive(receiver.openStream(), value, true);
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidArgumentError);
        return (error as InvalidArgumentError).field;
      }
      throw new Error('expected an InvalidArgumentError');
    };
    expect(fieldOf((value) => (value.checksum = 'xyz'))).to.equal('checksum');
    expect(fieldOf((value) => (value.totalBytes = 100_000))).to.equal('total_bytes');
    expect(fieldOf((value) => (value.totalBytes = 10))).to.equal('data');
    expect(fieldOf((value) => (value.snapshotTerm = 9))).to.equal('snapshot_term');
    expect(fieldOf((value) => (value.configuration = Buffer.alloc(0)))).to.equal('configuration');
    expect(fieldOf((value) => (value.snapshotIndex = 0))).to.equal('snapshot_index');
  });
});
