// A request's fingerprint: a small number computed from what a client command asks, kept with the
// request's remembered result so that a request id reused for a different command is told apart
// from a retry (request_id_reused). It leaves out what a retry may change without changing the
// request: the request id itself, the nonce the server draws for each acquire attempt and the
// actor (a retry may come over another connection).
//
// 30 bits, so that V8 keeps it as a small integer inside the record, without a heap number for each
// of up to 200,000 remembered requests. It guards against mistakes (a client bug, an id reused by
// hand), not against someone who sets out to find a collision.
import { canonicalJson } from './canonical.js';
import type { Command } from './types.js';

/** What a record restored from a snapshot older than fingerprints has: it matches any command. */
export const UNKNOWN_FINGERPRINT = 0;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const MASK = 0x3fffffff;

/** FNV-1a over UTF-16 code units, cut to 30 bits and never 0. */
function hash30(text: string): number {
  let hash = FNV_OFFSET;
  for (let position = 0; position < text.length; position++) {
    hash ^= text.charCodeAt(position);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash & MASK || 1;
}

/** The fingerprint of a command that carries a request id (see above). */
export function commandFingerprint(command: Command): number {
  switch (command.type) {
    // The frequent ones are written directly; a JSON array quotes every string unambiguously.
    case 'acquire_lease': {
      const { parameters } = command;
      return hash30(
        JSON.stringify([
          'acquire_lease',
          command.licenceId,
          command.workstationId,
          parameters.host,
          parameters.user,
          parameters.cores,
          parameters.productVersion,
          command.ttlMs,
        ]),
      );
    }
    case 'renew_lease':
      return hash30(JSON.stringify(['renew_lease', command.leaseId, command.ttlMs]));
    case 'release_lease':
      return hash30(JSON.stringify(['release_lease', command.leaseId]));
    // An intent is the release or renewal it stands for: a retry of that request (to either side)
    // finds the intent's answer rather than a reused request id.
    case 'lease_intent':
      return command.action === 'release'
        ? hash30(JSON.stringify(['release_lease', command.leaseId]))
        : hash30(JSON.stringify(['renew_lease', command.leaseId, command.ttlMs]));
    case 'report_usage':
      return hash30(
        JSON.stringify(['report_usage', command.licenceId, command.workstationId, command.units]),
      );
    default: {
      const {
        requestId: _requestId,
        actor: _actor,
        ...asked
      } = command as Command & {
        requestId?: string;
        actor?: unknown;
      };
      return hash30(canonicalJson(asked));
    }
  }
}
