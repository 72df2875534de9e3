// Configurations travel in the log as 'configuration' entries (JSON) and in snapshot metadata.
// A configuration takes effect as soon as it is appended, like a Raft membership change.
import assert from 'node:assert/strict';
import type { Configuration, NodeId } from './types.js';

/** Far more than Tandem needs (main, backup, witness); it bounds the work per message. */
export const MAX_CONFIGURATION_MEMBERS = 16;
/** Bounds a node id's length so configurations stay small. */
export const MAX_NODE_ID_LENGTH = 256;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Throws unless voters and inSync are non-empty lists of distinct ids with inSync within voters. */
export function validateConfiguration(configuration: Configuration): void {
  const { voters, inSync } = configuration;
  assert.ok(Array.isArray(voters) && Array.isArray(inSync), 'configuration needs voters and inSync arrays');
  assert.ok(voters.length > 0, 'a configuration needs at least one voter');
  assert.ok(inSync.length > 0, 'a configuration needs at least one in-sync member');
  assert.ok(voters.length <= MAX_CONFIGURATION_MEMBERS, `at most ${MAX_CONFIGURATION_MEMBERS} voters`);
  for (const id of [...voters, ...inSync]) {
    assert.ok(typeof id === 'string' && id.length > 0, 'node ids are non-empty strings');
    assert.ok(id.length <= MAX_NODE_ID_LENGTH, `node ids are at most ${MAX_NODE_ID_LENGTH} characters`);
  }
  assert.equal(new Set(voters).size, voters.length, `duplicate voter in ${voters.join(',')}`);
  assert.equal(new Set(inSync).size, inSync.length, `duplicate in-sync member in ${inSync.join(',')}`);
  for (const id of inSync) {
    assert.ok(voters.includes(id), `in-sync member ${id} is not a voter`);
  }
}

export function encodeConfiguration(configuration: Configuration): Uint8Array {
  validateConfiguration(configuration);
  return encoder.encode(JSON.stringify({ voters: configuration.voters, inSync: configuration.inSync }));
}

/** Throws on bytes that are not an encoded valid configuration: the log would be corrupt. */
export function decodeConfiguration(data: Uint8Array): Configuration {
  const parsed: unknown = JSON.parse(decoder.decode(data));
  assert.ok(typeof parsed === 'object' && parsed !== null, 'a configuration is a JSON object');
  const { voters, inSync } = parsed as { voters?: unknown; inSync?: unknown };
  assert.ok(Array.isArray(voters) && Array.isArray(inSync), 'a configuration has voters and inSync arrays');
  const configuration: Configuration = { voters: voters as NodeId[], inSync: inSync as NodeId[] };
  validateConfiguration(configuration);
  return configuration;
}

export function copyConfiguration(configuration: Configuration): Configuration {
  return { voters: [...configuration.voters], inSync: [...configuration.inSync] };
}

export function configurationsEqual(left: Configuration, right: Configuration): boolean {
  return sameMembers(left.voters, right.voters) && sameMembers(left.inSync, right.inSync);
}

/** Whether two lists hold the same ids, in any order. */
export function sameMembers(left: readonly NodeId[], right: readonly NodeId[]): boolean {
  const sortedRight = [...right].sort();
  return (
    left.length === right.length && [...left].sort().every((id, position) => id === sortedRight[position])
  );
}

/** Every node the leader replicates to: voters and in-sync members other than itself. */
export function replicationPeers(configuration: Configuration, self: NodeId): NodeId[] {
  const members = new Set([...configuration.voters, ...configuration.inSync]);
  members.delete(self);
  return [...members].sort();
}
