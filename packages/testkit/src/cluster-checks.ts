// Questions tests ask of a running cluster: who leads, and do the nodes hold the same ledger.
import { AdminClient, resolveSettings } from '@tandem/client';
import type { ClusterAccess } from './test-pki.js';

export interface LeaderView {
  id: string;
  address: string;
  term: number;
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Asks each address who it is; resolves with the node that says it leads, once one does. */
export async function waitForLeader(
  access: ClusterAccess,
  addresses: string[],
  timeoutMs: number,
  accept: (leader: LeaderView) => boolean = () => true,
): Promise<LeaderView> {
  const admin = new AdminClient(
    resolveSettings({ ...access, servers: addresses, requestTimeoutMs: 500, maxAttempts: 1 }),
  );
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      for (const address of addresses) {
        try {
          const status = await admin.nodeStatus(address);
          const self = status.nodes[0];
          if (self !== undefined && self.state === 'leader') {
            const leader = { id: self.id, address, term: self.term };
            if (accept(leader)) return leader;
          }
        } catch {
          // Down or restarting: ask again on the next round.
        }
      }
      await sleep(50);
    }
  } finally {
    admin.close();
  }
  throw new Error(`no acceptable leader among ${addresses.join(', ')} within ${timeoutMs} ms`);
}

export interface VerifiedNode {
  address: string;
  appliedIndex: number;
  stateHash: string;
  /** The hash chain over the applied log through logHashIndex ('' when the node cannot know it). */
  logHash: string;
  logHashIndex: number;
}

/**
 * Waits until every address has applied the same index with the same state hash and the same log
 * hash chain (so that the logs, not only the ledgers, are equal), and returns the nodes' answers;
 * throws with what each node said if they do not converge in time. Verify hashes a node's whole
 * ledger each time its applied index has moved, so it is asked only once Status says the applied
 * indexes agree: asked every round, it kept a node catching up a million entries busy hashing (the
 * benchmark's catch-up took 24-27 s instead of a few).
 */
export async function waitForEqualState(
  access: ClusterAccess,
  addresses: string[],
  timeoutMs: number,
): Promise<VerifiedNode[]> {
  const admin = new AdminClient(
    resolveSettings({ ...access, servers: addresses, requestTimeoutMs: 2000, maxAttempts: 1 }),
  );
  const deadline = Date.now() + timeoutMs;
  let last: VerifiedNode[] = [];
  try {
    while (Date.now() < deadline) {
      try {
        const applied = await Promise.all(
          addresses.map(async (address) => (await admin.nodeStatus(address)).nodes[0]?.appliedIndex),
        );
        if (applied.some((index) => index === undefined || index !== applied[0])) {
          await sleep(100);
          continue;
        }
        last = await Promise.all(
          addresses.map(async (address) => {
            const verified = await admin.verify(address);
            return {
              address,
              appliedIndex: verified.appliedIndex,
              stateHash: verified.stateHash,
              logHash: verified.logHash,
              logHashIndex: verified.logHashIndex,
            };
          }),
        );
        const first = last[0];
        if (
          first !== undefined &&
          last.every(
            (node) =>
              node.stateHash === first.stateHash &&
              node.appliedIndex === first.appliedIndex &&
              node.logHash === first.logHash &&
              node.logHashIndex === first.logHashIndex,
          )
        ) {
          return last;
        }
      } catch {
        // A node that is restarting answers on a later round.
      }
      await sleep(100);
    }
  } finally {
    admin.close();
  }
  throw new Error(`the nodes did not converge within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}
