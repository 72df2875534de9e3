// An in-memory message network on a simulated clock. Every link (a direction between two
// endpoints) has a delay with jitter, a loss rate, a duplication rate and a reordering rate, and
// can be cut one way or both ways until a given time. All of it is decided by the network's own
// seeded generator, so a seed replays the same deliveries. Queues are bounded: a message beyond
// the bound is dropped, as a full socket buffer would drop it.
import assert from 'node:assert/strict';
import type { SimulationRandom } from './random.js';
import { TimedQueue } from './timed-queue.js';

export type EndpointId = string;

export interface LinkFaults {
  /** Every message takes at least this long... */
  minDelayMs: number;
  /** ...and at most this long (uniform jitter in between, which already reorders some messages). */
  maxDelayMs: number;
  lossProbability: number;
  /** A duplicated message arrives twice, each copy with its own delay. */
  duplicationProbability: number;
  /** A reordered message is held back up to reorderDelayMs more, so that later ones overtake it. */
  reorderProbability: number;
  reorderDelayMs: number;
}

export const CLEAN_LINK: Readonly<LinkFaults> = Object.freeze({
  minDelayMs: 1,
  maxDelayMs: 3,
  lossProbability: 0,
  duplicationProbability: 0,
  reorderProbability: 0,
  reorderDelayMs: 0,
});

export interface NetworkOptions {
  defaultFaults: LinkFaults;
  /** At most this many messages in flight on one link. */
  maxInFlightPerLink: number;
  /** At most this many messages in flight in the whole network. */
  maxInFlight: number;
  /** Gives each recipient its own copy, as a real wire would (nothing is shared between nodes). */
  copyPayload: <P>(payload: P) => P;
}

/**
 * Called once per message sent: delivered or not (a lost message reports false at once). refused:
 * the message reached the recipient's host but its process was down, and the way back was open, so
 * a real sender would see its connection refused (a lost or cut message, or a paused process, is
 * silence instead).
 */
export type SettleCallback = (delivered: boolean, atMs: number, refused?: boolean) => void;

export interface Delivery<P> {
  from: EndpointId;
  to: EndpointId;
  payload: P;
  sentAtMs: number;
  deliverAtMs: number;
  /** The sender's callback, if any; the receiver side calls it (it knows whether anyone listened). */
  settle: SettleCallback | null;
}

export interface NetworkStatistics {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** Dropped because the link was cut when the message was sent or due. */
  cut: number;
  /** Dropped because a queue was full. */
  overflowed: number;
}

interface InFlight<P> extends Delivery<P> {
  link: string;
}

function linkKey(from: EndpointId, to: EndpointId): string {
  return `${from}>${to}`;
}

export class SimulatedNetwork<P> {
  private readonly queue: TimedQueue<InFlight<P>>;
  private defaultFaults: LinkFaults;
  private readonly faultsByLink = new Map<string, LinkFaults>();
  /** Link → the time the cut ends (Infinity: until healed). */
  private readonly cutUntilMs = new Map<string, number>();
  private readonly inFlightByLink = new Map<string, number>();
  readonly statistics: NetworkStatistics = {
    sent: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    cut: 0,
    overflowed: 0,
  };

  constructor(
    private readonly random: SimulationRandom,
    private readonly options: NetworkOptions,
  ) {
    assertFaults(options.defaultFaults);
    assert.ok(options.maxInFlightPerLink > 0 && options.maxInFlight > 0, 'network bounds are positive');
    this.defaultFaults = { ...options.defaultFaults };
    this.queue = new TimedQueue(options.maxInFlight);
  }

  /** Faults for every link without its own. */
  setDefaultFaults(faults: LinkFaults): void {
    assertFaults(faults);
    this.defaultFaults = { ...faults };
  }

  /** Faults for one direction; null goes back to the default. */
  setLinkFaults(from: EndpointId, to: EndpointId, faults: LinkFaults | null): void {
    if (faults === null) {
      this.faultsByLink.delete(linkKey(from, to));
      return;
    }
    assertFaults(faults);
    this.faultsByLink.set(linkKey(from, to), { ...faults });
  }

  faultsOf(from: EndpointId, to: EndpointId): LinkFaults {
    return this.faultsByLink.get(linkKey(from, to)) ?? this.defaultFaults;
  }

  /** Cuts one direction until untilMs (Infinity: until heal()). Messages in flight are lost too. */
  cut(from: EndpointId, to: EndpointId, untilMs: number): void {
    assert.ok(untilMs > 0, 'a cut ends after time 0');
    const key = linkKey(from, to);
    this.cutUntilMs.set(key, Math.max(this.cutUntilMs.get(key) ?? 0, untilMs));
  }

  cutBothWays(first: EndpointId, second: EndpointId, untilMs: number): void {
    this.cut(first, second, untilMs);
    this.cut(second, first, untilMs);
  }

  isCut(from: EndpointId, to: EndpointId, nowMs: number): boolean {
    const until = this.cutUntilMs.get(linkKey(from, to));
    return until !== undefined && nowMs < until;
  }

  /** Ends every cut and every per-link fault, and sets clean default faults. */
  heal(defaultFaults: LinkFaults = CLEAN_LINK): void {
    this.cutUntilMs.clear();
    this.faultsByLink.clear();
    this.setDefaultFaults(defaultFaults);
  }

  get inFlight(): number {
    return this.queue.size;
  }

  /** Messages in flight that match (for inspection: quiescence checks). */
  countInFlight(matches: (delivery: Delivery<P>) => boolean): number {
    return this.queue.items().filter(matches).length;
  }

  send(
    from: EndpointId,
    to: EndpointId,
    payload: P,
    nowMs: number,
    settle: SettleCallback | null = null,
  ): void {
    assert.notEqual(from, to, 'an endpoint does not send to itself');
    this.statistics.sent += 1;
    const faults = this.faultsOf(from, to);
    if (this.isCut(from, to, nowMs)) {
      this.statistics.cut += 1;
      settle?.(false, nowMs);
      return;
    }
    if (this.random.chance(faults.lossProbability)) {
      this.statistics.lost += 1;
      settle?.(false, nowMs);
      return;
    }
    const copies = this.random.chance(faults.duplicationProbability) ? 2 : 1;
    if (copies === 2) this.statistics.duplicated += 1;
    for (let copy = 0; copy < copies; copy += 1) {
      let delayMs = this.random.int(faults.minDelayMs, faults.maxDelayMs);
      if (faults.reorderDelayMs > 0 && this.random.chance(faults.reorderProbability)) {
        this.statistics.reordered += 1;
        delayMs += this.random.int(1, faults.reorderDelayMs);
      }
      // Only the first copy reports back: the sender saw one send.
      this.enqueue({
        from,
        to,
        payload: this.options.copyPayload(payload),
        sentAtMs: nowMs,
        deliverAtMs: nowMs + delayMs,
        settle: copy === 0 ? settle : null,
        link: linkKey(from, to),
      });
    }
  }

  /** The time of the next message due, or null when nothing is in flight. */
  nextDeliveryAtMs(): number | null {
    return this.queue.peekTime();
  }

  /**
   * The next message due at or before nowMs, or null. A message whose link is cut when it falls
   * due is dropped on the way (its sender is told).
   */
  takeDue(nowMs: number): Delivery<P> | null {
    for (;;) {
      const due = this.queue.popDue(nowMs);
      if (due === null) return null;
      const message = due.item;
      this.inFlightByLink.set(message.link, (this.inFlightByLink.get(message.link) ?? 1) - 1);
      if (this.isCut(message.from, message.to, due.atMs)) {
        this.statistics.cut += 1;
        message.settle?.(false, due.atMs);
        continue;
      }
      this.statistics.delivered += 1;
      return {
        from: message.from,
        to: message.to,
        payload: message.payload,
        sentAtMs: message.sentAtMs,
        deliverAtMs: message.deliverAtMs,
        settle: message.settle,
      };
    }
  }

  private enqueue(message: InFlight<P>): void {
    const onLink = this.inFlightByLink.get(message.link) ?? 0;
    if (onLink >= this.options.maxInFlightPerLink || !this.queue.push(message.deliverAtMs, message)) {
      this.statistics.overflowed += 1;
      message.settle?.(false, message.sentAtMs);
      return;
    }
    this.inFlightByLink.set(message.link, onLink + 1);
  }
}

function assertFaults(faults: LinkFaults): void {
  assert.ok(
    Number.isSafeInteger(faults.minDelayMs) &&
      faults.minDelayMs >= 0 &&
      faults.maxDelayMs >= faults.minDelayMs,
    `bad link delay ${faults.minDelayMs}..${faults.maxDelayMs}`,
  );
  assert.ok(Number.isSafeInteger(faults.maxDelayMs), 'delays are whole milliseconds');
  assert.ok(Number.isSafeInteger(faults.reorderDelayMs) && faults.reorderDelayMs >= 0, 'bad reorder delay');
  for (const probability of [
    faults.lossProbability,
    faults.duplicationProbability,
    faults.reorderProbability,
  ]) {
    assert.ok(probability >= 0 && probability <= 1, `bad probability ${probability}`);
  }
}
