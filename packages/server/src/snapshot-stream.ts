// InstallSnapshot as a client stream of chunks. The leader cuts its stored snapshot into chunks with
// an offset, the total size and a sha256 of the whole; the follower assembles them, keeping a
// partial snapshot across broken streams so that the leader can resume where the follower stopped.
//
// Resuming: a follower accepts a stream only if its first chunk starts where the follower's partial
// snapshot for the same offer ends (0 when it has none). Otherwise it answers at once with
// success=false and bytes_received, and the leader opens a new stream from that offset.
import { createHash } from 'node:crypto';
import type { NodeId, Snapshot } from '@tandem/consensus';
import type { InstallSnapshotChunk, InstallSnapshotChunk__Output } from '@tandem/wire';
import { InvalidArgumentError } from './errors.js';
import {
  bytesFromWire,
  bytesToWire,
  configurationFromWire,
  type PeerWireContext,
  wireIndex,
  wireInteger,
  wireTerm,
} from './peer-messages.js';

/** The largest snapshot a follower assembles in memory unless limits.maxSnapshotBytes says otherwise. */
export const MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024;
/** A partial snapshot's buffer starts this small and doubles as chunks arrive. */
const INITIAL_BUFFER_BYTES = 64 * 1024;

export function snapshotChecksum(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** What the leader offers: one snapshot, described the same way by every chunk. */
export interface SnapshotOffer {
  term: number;
  leaderId: NodeId;
  snapshotIndex: number;
  snapshotTerm: number;
  /** The core's encodeConfiguration of the snapshot's configuration. */
  configuration: Uint8Array;
  totalBytes: number;
  checksum: string;
}

/** The chunks of one stream from fromOffset to the end; the configuration rides on the first. */
export function* snapshotChunks(
  offer: SnapshotOffer,
  data: Uint8Array,
  fromOffset: number,
  chunkBytes: number,
): Generator<InstallSnapshotChunk> {
  if (!(fromOffset >= 0 && fromOffset <= data.byteLength && chunkBytes >= 1)) {
    throw new RangeError(`cannot stream from offset ${fromOffset} of ${data.byteLength} bytes`);
  }
  let offset = fromOffset;
  let first = true;
  do {
    const end = Math.min(data.byteLength, offset + chunkBytes);
    yield {
      term: offer.term,
      leaderId: offer.leaderId,
      snapshotIndex: offer.snapshotIndex,
      snapshotTerm: offer.snapshotTerm,
      configuration: first ? bytesToWire(offer.configuration) : Buffer.alloc(0),
      offset,
      data: bytesToWire(data.subarray(offset, end)),
      totalBytes: data.byteLength,
      checksum: offer.checksum,
      done: end === data.byteLength,
    };
    first = false;
    offset = end;
  } while (offset < data.byteLength);
}

/** What one chunk did to the follower's partial snapshot. */
export type ChunkOutcome =
  | { kind: 'continue' }
  /** The stream starts elsewhere than the follower's partial snapshot ends: resume from here. */
  | { kind: 'resume'; bytesReceived: number }
  | { kind: 'complete'; offer: SnapshotOffer; snapshot: Snapshot };

interface Partial {
  key: string;
  stream: number;
  offer: SnapshotOffer;
  /**
   * The bytes received so far, at the start of a buffer that doubles as chunks arrive (never beyond
   * the announced size): the announced size is only a claim, and one small chunk claiming a
   * gigabyte must not make this node allocate one. Gathering the chunks and joining them at the end
   * would hold the snapshot twice at once.
   */
  data: Uint8Array;
  received: number;
}

/**
 * The follower's side. It keeps at most one partial snapshot; a stream for another offer replaces
 * it, and only the stream that last opened it may add to it.
 */
export class SnapshotReceiver {
  private partial: Partial | null = null;
  private streams = 0;

  /**
   * maxTotalBytes: limits.maxSnapshotBytes. context: the cluster, to check the snapshot's
   * configuration against (null: only its encoding is checked).
   */
  constructor(
    private readonly maxTotalBytes = MAX_SNAPSHOT_BYTES,
    private readonly context: PeerWireContext | null = null,
  ) {}

  /** A token for a new stream, passed back with each of its chunks. */
  openStream(): number {
    this.streams += 1;
    return this.streams;
  }

  /** How many bytes of an offer the follower holds (0 for any other offer). */
  bytesReceived(offer?: SnapshotOffer): number {
    if (this.partial === null) return 0;
    if (offer !== undefined && keyOf(offer) !== this.partial.key) return 0;
    return this.partial.received;
  }

  /** Takes one chunk. Throws InvalidArgumentError naming the field on a malformed chunk. */
  receive(stream: number, chunk: InstallSnapshotChunk__Output, firstOfStream: boolean): ChunkOutcome {
    const offer = this.offerOf(chunk);
    const key = keyOf(offer);
    const offset = wireInteger(chunk.offset, 'offset', 0, offer.totalBytes);
    const data = bytesFromWire(chunk.data);
    if (offset + data.byteLength > offer.totalBytes) {
      throw new InvalidArgumentError('data', `ends at ${offset + data.byteLength}, beyond total_bytes`);
    }
    let partial = this.partial;
    if (firstOfStream) {
      const holds = partial !== null && partial.key === key ? partial.received : 0;
      if (offset !== holds) return { kind: 'resume', bytesReceived: holds };
      if (partial === null || partial.key !== key) {
        if (chunk.configuration.byteLength === 0) {
          throw new InvalidArgumentError('configuration', 'is required on the first chunk');
        }
        configurationFromWire(bytesFromWire(chunk.configuration), 'configuration', this.context);
        partial = { key, stream, offer: { ...offer }, data: new Uint8Array(0), received: 0 };
        this.partial = partial;
      }
      partial.stream = stream;
    } else if (partial === null || partial.key !== key || partial.stream !== stream) {
      throw new InvalidArgumentError('snapshot_index', 'the chunk does not continue this stream');
    } else if (offset !== partial.received) {
      throw new InvalidArgumentError('offset', `is ${offset}, expected ${partial.received}`);
    }
    if (chunk.configuration.byteLength > 0) {
      configurationFromWire(bytesFromWire(chunk.configuration), 'configuration', this.context);
      partial.offer.configuration = bytesFromWire(chunk.configuration);
    }
    if (data.byteLength > 0) {
      grow(partial, partial.received + data.byteLength, offer.totalBytes);
      partial.data.set(data, partial.received);
      partial.received += data.byteLength;
    }
    if (!chunk.done) return { kind: 'continue' };
    // Whatever happens next, this partial snapshot is finished with.
    this.partial = null;
    if (partial.received !== offer.totalBytes) {
      throw new InvalidArgumentError('done', `set after ${partial.received} of ${offer.totalBytes} bytes`);
    }
    const whole = partial.data.subarray(0, partial.received);
    if (snapshotChecksum(whole) !== offer.checksum) {
      throw new InvalidArgumentError('checksum', 'does not match the received snapshot');
    }
    const configuration = configurationFromWire(partial.offer.configuration, 'configuration', this.context);
    return {
      kind: 'complete',
      offer: partial.offer,
      snapshot: {
        metadata: { index: offer.snapshotIndex, term: offer.snapshotTerm, configuration },
        data: whole,
      },
    };
  }

  /**
   * The snapshot a stream's first chunk offers, checked, without taking any of its data: what a
   * follower that already holds it answers at once (peer-service.ts), instead of receiving the
   * whole snapshot again. Null when the chunk does not begin the snapshot (a resumed stream).
   * Throws InvalidArgumentError naming the field on a malformed chunk.
   */
  offered(chunk: InstallSnapshotChunk__Output): { offer: SnapshotOffer; snapshot: Snapshot } | null {
    const offer = this.offerOf(chunk);
    if (
      wireInteger(chunk.offset, 'offset', 0, offer.totalBytes) !== 0 ||
      chunk.configuration.byteLength === 0
    ) {
      return null;
    }
    const configurationBytes = bytesFromWire(chunk.configuration);
    const configuration = configurationFromWire(configurationBytes, 'configuration', this.context);
    return {
      offer: { ...offer, configuration: configurationBytes },
      snapshot: {
        metadata: { index: offer.snapshotIndex, term: offer.snapshotTerm, configuration },
        data: new Uint8Array(0),
      },
    };
  }

  /** The size of the buffer held for the partial snapshot (what it costs in memory now). */
  bufferedBytes(): number {
    return this.partial?.data.byteLength ?? 0;
  }

  /** Drops the partial snapshot (after a checksum failure, say). */
  reset(): void {
    this.partial = null;
  }

  private offerOf(chunk: InstallSnapshotChunk__Output): SnapshotOffer {
    const term = wireTerm(chunk.term, 'term', 1);
    const snapshotIndex = wireIndex(chunk.snapshotIndex, 'snapshot_index', 1);
    const snapshotTerm = wireTerm(chunk.snapshotTerm, 'snapshot_term', 1);
    if (snapshotTerm > term) throw new InvalidArgumentError('snapshot_term', 'is newer than the leader');
    const totalBytes = wireInteger(chunk.totalBytes, 'total_bytes');
    if (totalBytes > this.maxTotalBytes) {
      throw new InvalidArgumentError(
        'total_bytes',
        `is over the limit of ${this.maxTotalBytes} (limits.maxSnapshotBytes)`,
      );
    }
    if (!/^[0-9a-f]{64}$/.test(chunk.checksum)) {
      throw new InvalidArgumentError('checksum', 'must be a sha256 in lower-case hex');
    }
    return {
      term,
      leaderId: chunk.leaderId,
      snapshotIndex,
      snapshotTerm,
      configuration: new Uint8Array(0),
      totalBytes,
      checksum: chunk.checksum,
    };
  }
}

/** Makes room for `needed` bytes, doubling the buffer but never past the announced total. */
function grow(partial: Partial, needed: number, totalBytes: number): void {
  if (needed <= partial.data.byteLength) return;
  let capacity = Math.max(INITIAL_BUFFER_BYTES, partial.data.byteLength);
  while (capacity < needed) capacity *= 2;
  const data = new Uint8Array(Math.min(capacity, totalBytes));
  data.set(partial.data.subarray(0, partial.received));
  partial.data = data;
}

function keyOf(offer: SnapshotOffer): string {
  return [
    offer.term,
    offer.leaderId,
    offer.snapshotIndex,
    offer.snapshotTerm,
    offer.totalBytes,
    offer.checksum,
  ].join('/');
}
