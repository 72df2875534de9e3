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
  const { drained } = configuration;
  if (drained === undefined) return;
  assert.ok(Array.isArray(drained), 'drained is an array');
  assert.equal(new Set(drained).size, drained.length, `duplicate drained node in ${drained.join(',')}`);
  for (const id of drained) {
    assert.ok(typeof id === 'string' && voters.includes(id), `drained node ${String(id)} is not a voter`);
  }
  assert.ok(drained.length < voters.length, 'not every voter may be drained');
}

export function encodeConfiguration(configuration: Configuration): Uint8Array {
  validateConfiguration(configuration);
  const drained = drainedOf(configuration);
  // Written only when a node is drained, so that the configurations of a cluster that never drains
  // stay byte for byte what they were before drains existed.
  const encoded =
    drained.length === 0
      ? { voters: configuration.voters, inSync: configuration.inSync }
      : { voters: configuration.voters, inSync: configuration.inSync, drained };
  return encoder.encode(JSON.stringify(encoded));
}

/** Throws on bytes that are not an encoded valid configuration: the log would be corrupt. */
export function decodeConfiguration(data: Uint8Array): Configuration {
  const parsed: unknown = JSON.parse(decoder.decode(data));
  assert.ok(typeof parsed === 'object' && parsed !== null, 'a configuration is a JSON object');
  const { voters, inSync, drained } = parsed as { voters?: unknown; inSync?: unknown; drained?: unknown };
  assert.ok(Array.isArray(voters) && Array.isArray(inSync), 'a configuration has voters and inSync arrays');
  assert.ok(drained === undefined || Array.isArray(drained), "a configuration's drained is an array");
  const configuration: Configuration = { voters: voters as NodeId[], inSync: inSync as NodeId[] };
  if (drained !== undefined && drained.length > 0) configuration.drained = drained as NodeId[];
  validateConfiguration(configuration);
  return configuration;
}

export function copyConfiguration(configuration: Configuration): Configuration {
  return withInSync(configuration, configuration.inSync);
}

/** The drained nodes of a configuration (none when it names none). */
export function drainedOf(configuration: Configuration): readonly NodeId[] {
  return configuration.drained ?? [];
}

/** A copy of the configuration with another in-sync set; the voters and drained nodes stay. */
export function withInSync(configuration: Configuration, inSync: readonly NodeId[]): Configuration {
  const copy: Configuration = { voters: [...configuration.voters], inSync: [...inSync] };
  const drained = drainedOf(configuration);
  if (drained.length > 0) copy.drained = [...drained];
  return copy;
}

/** A copy of the configuration with another set of drained nodes. */
export function withDrained(configuration: Configuration, drained: readonly NodeId[]): Configuration {
  const copy: Configuration = { voters: [...configuration.voters], inSync: [...configuration.inSync] };
  if (drained.length > 0) copy.drained = [...drained].sort();
  return copy;
}

export function configurationsEqual(left: Configuration, right: Configuration): boolean {
  return (
    sameMembers(left.voters, right.voters) &&
    sameMembers(left.inSync, right.inSync) &&
    sameMembers(drainedOf(left), drainedOf(right))
  );
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
