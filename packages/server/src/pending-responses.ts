// A peer's request RPC waits here for the core's answer. The core answers in a later Ready, after
// persisting what the answer depends on, and the replica's transport hands every response-type
// message over. Answers are matched first-in first-out per peer and message type: the core answers
// requests of one type from one peer in the order they were stepped. A mismatch after a timeout only
// moves an answer to a neighbouring RPC of the same kind, which Raft does not mind: its messages say
// everything about themselves.
import type { NodeId } from '@tandem/consensus';
import type { PeerResponseMessage, PeerResponseType } from './peer-messages.js';

interface Waiter {
  resolve: (message: PeerResponseMessage | null) => void;
  timer: NodeJS.Timeout;
}

export class PendingResponses {
  private readonly queues = new Map<string, Waiter[]>();
  private undeliveredCount = 0;

  /** maxWaitersPerKey bounds the RPCs of one kind that one peer may have waiting. */
  constructor(private readonly maxWaitersPerKey: number) {}

  /**
   * Registers a waiter; call it before stepping the request, so that the answer cannot come first.
   * Resolves with the answer, or null after timeoutMs. Returns null at once when too many wait.
   */
  wait(peer: NodeId, type: PeerResponseType, timeoutMs: number): Promise<PeerResponseMessage | null> | null {
    const key = keyOf(peer, type);
    const queue = this.queues.get(key) ?? [];
    if (queue.length >= this.maxWaitersPerKey) return null;
    this.queues.set(key, queue);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          this.remove(key, waiter);
          resolve(null);
        }, timeoutMs),
      };
      queue.push(waiter);
    });
  }

  /** Hands an answer to the oldest waiting RPC; returns false when nobody waits (it is dropped). */
  deliver(message: PeerResponseMessage): boolean {
    const key = keyOf(message.to, message.type);
    const queue = this.queues.get(key);
    const waiter = queue?.shift();
    if (queue !== undefined && queue.length === 0) this.queues.delete(key);
    if (waiter === undefined) {
      this.undeliveredCount += 1;
      return false;
    }
    clearTimeout(waiter.timer);
    waiter.resolve(message);
    return true;
  }

  /** How many answers found no waiting RPC (their RPC had timed out). */
  get undelivered(): number {
    return this.undeliveredCount;
  }

  /** Answers every waiting RPC with null, as at shutdown. */
  clear(): void {
    for (const queue of this.queues.values()) {
      for (const waiter of queue) {
        clearTimeout(waiter.timer);
        waiter.resolve(null);
      }
    }
    this.queues.clear();
  }

  private remove(key: string, waiter: Waiter): void {
    const queue = this.queues.get(key);
    if (queue === undefined) return;
    const position = queue.indexOf(waiter);
    if (position >= 0) queue.splice(position, 1);
    if (queue.length === 0) this.queues.delete(key);
  }
}

function keyOf(peer: NodeId, type: PeerResponseType): string {
  return `${type}\u0000${peer}`;
}
