// The bytes of a ledger log entry: JSON of { v, timestampMs, command } in UTF-8. Decoding checks
// the shape (every field present with the right JSON type) and rebuilds the command from known
// fields only, so that nothing unexpected reaches the ledger's state. Value limits (seats > 0, id
// formats, TTL bounds) are not checked here: the ledger rejects those deterministically with
// invalid_command, which keeps a replicated log replayable even if its producer was lenient.
//
// Format 2 (written now) came with signed licences and the audit trail. Entries of format 1 are
// still read, as they were written: an activation from a plain spec and an update with any changes
// become the legacy_* commands (which only this decoder makes), and commands without an actor or a
// nonce get null and ''. Format 2 has no legacy commands.
import assert from 'node:assert/strict';
import type { LedgerOptions } from './options.js';
import { ShapeReader } from './shape.js';
import type { Command, MergedEntry } from './types.js';
import { validateMergedEntry } from './validate.js';

const FORMAT_VERSION = 2;
/** Entries written before licences were signed. */
const UNSIGNED_FORMAT_VERSION = 1;
/** Far above any valid command (64 features of 1 KiB each); anything larger is refused unread. */
export const ENTRY_DATA_MAX_BYTES = 1024 * 1024;
/** A merge command re-applies at most this many of the backup's entries; larger merges are split. */
export const MAX_MERGED_ENTRIES = 1000;
/** At most this many source terms in one merge command. */
export const MAX_MERGE_SOURCE_TERMS = 1000;
/**
 * The JSON of a merge command stays within this many bytes, which leaves room for the entry's
 * envelope (format version and timestamp) within ENTRY_DATA_MAX_BYTES.
 */
export const MERGE_COMMAND_MAX_BYTES = ENTRY_DATA_MAX_BYTES - 256;

export interface EntryData {
  timestampMs: number;
  command: Command;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const reader = new ShapeReader('ENTRY_DECODE_FAILED', 'ledger entry');

export function encodeEntryData(data: EntryData): Uint8Array {
  assert.ok(Number.isFinite(data.timestampMs), 'entry timestampMs must be a finite number');
  const bytes = encoder.encode(
    JSON.stringify({ v: FORMAT_VERSION, timestampMs: data.timestampMs, command: data.command }),
  );
  assert.ok(bytes.length <= ENTRY_DATA_MAX_BYTES, `entry data of ${bytes.length} bytes exceeds the limit`);
  return bytes;
}

/** Throws LedgerDataError (code ENTRY_DECODE_FAILED) naming the offending path on garbage. */
export function decodeEntryData(bytes: Uint8Array): EntryData {
  if (!(bytes instanceof Uint8Array)) reader.fail('$', 'entry data must be a Uint8Array');
  if (bytes.length > ENTRY_DATA_MAX_BYTES) {
    reader.fail('$', `entry data of ${bytes.length} bytes exceeds ${ENTRY_DATA_MAX_BYTES}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    reader.fail('$', `not UTF-8 JSON (${(error as Error).message})`);
  }
  const root = reader.object(parsed, '$');
  if (root.v !== FORMAT_VERSION && root.v !== UNSIGNED_FORMAT_VERSION) {
    reader.fail('$.v', `unsupported format version ${JSON.stringify(root.v)}`);
  }
  return {
    timestampMs: reader.number(root.timestampMs, '$.timestampMs'),
    command: commandFromJson(root.command, '$.command', 0, root.v === UNSIGNED_FORMAT_VERSION),
  };
}

/**
 * Checks the shape of a command parsed from JSON and rebuilds it from its known fields. A merge
 * inside a merge still decodes (validation refuses it with invalid_command, deterministically), but
 * nothing nests deeper, so decoding never recurses without bound.
 */
export function commandFromJson(value: unknown, path = '$.command', depth = 0, unsigned = false): Command {
  const fields = reader.object(value, path);
  const text = (name: string): string => reader.string(fields[name], `${path}.${name}`);
  const amount = (name: string): number => reader.number(fields[name], `${path}.${name}`);
  const actor = () => reader.optionalActor(fields.actor, `${path}.actor`);
  // Format 1: an activation from a plain spec and an update with any changes.
  if (unsigned && fields.type === 'activate_licence') {
    return {
      type: 'legacy_activate_licence',
      requestId: text('requestId'),
      licence: reader.licenceSpec(fields.licence, `${path}.licence`),
    };
  }
  if (unsigned && fields.type === 'update_licence') {
    return {
      type: 'legacy_update_licence',
      requestId: text('requestId'),
      licenceId: text('licenceId'),
      changes: reader.licenceChanges(fields.changes, `${path}.changes`),
    };
  }
  switch (fields.type) {
    case 'activate_licence':
      return {
        type: 'activate_licence',
        requestId: text('requestId'),
        licenceFile: text('licenceFile'),
        actor: actor(),
      };
    case 'update_licence':
      return {
        type: 'update_licence',
        requestId: text('requestId'),
        licenceId: text('licenceId'),
        licenceFile: fields.licenceFile === null ? null : text('licenceFile'),
        changes: reader.licenceChanges(fields.changes, `${path}.changes`),
        actor: actor(),
      };
    case 'deactivate_licence':
      return {
        type: 'deactivate_licence',
        requestId: text('requestId'),
        licenceId: text('licenceId'),
        actor: actor(),
      };
    case 'acquire_lease':
      return {
        type: 'acquire_lease',
        requestId: text('requestId'),
        licenceId: text('licenceId'),
        workstationId: text('workstationId'),
        parameters: reader.parameters(fields.parameters, `${path}.parameters`),
        ttlMs: amount('ttlMs'),
        nonce: fields.nonce === undefined ? '' : text('nonce'),
      };
    case 'renew_lease':
      return {
        type: 'renew_lease',
        requestId: text('requestId'),
        leaseId: text('leaseId'),
        ttlMs: amount('ttlMs'),
      };
    case 'release_lease':
      return { type: 'release_lease', requestId: text('requestId'), leaseId: text('leaseId') };
    case 'lease_intent': {
      const action = text('action');
      if (action !== 'release' && action !== 'renew') {
        return reader.fail(`${path}.action`, 'expected release or renew');
      }
      return {
        type: 'lease_intent',
        requestId: text('requestId'),
        leaseId: text('leaseId'),
        workstationId: text('workstationId'),
        action,
        ttlMs: amount('ttlMs'),
      };
    }
    case 'report_usage':
      return {
        type: 'report_usage',
        requestId: text('requestId'),
        licenceId: text('licenceId'),
        workstationId: text('workstationId'),
        units: amount('units'),
      };
    case 'revoke_lease':
      return {
        type: 'revoke_lease',
        requestId: text('requestId'),
        leaseId: text('leaseId'),
        reason: text('reason'),
        actor: actor(),
      };
    case 'audit_note': {
      const action = text('action');
      if (action !== 'transfer_leadership' && action !== 'snapshot') {
        return reader.fail(`${path}.action`, 'expected transfer_leadership or snapshot');
      }
      return {
        type: 'audit_note',
        requestId: text('requestId'),
        action,
        detail: text('detail'),
        actor: reader.actor(fields.actor, `${path}.actor`),
      };
    }
    case 'tick':
      return { type: 'tick' };
    case 'extend_leases':
      return { type: 'extend_leases', byMs: amount('byMs') };
    case 'set_cluster_id':
      return { type: 'set_cluster_id', clusterId: text('clusterId') };
    case 'merge':
      if (depth > 1) return reader.fail(`${path}.type`, 'merge commands nest too deep');
      return {
        type: 'merge',
        sourceNodeId: text('sourceNodeId'),
        sourceTerms: reader
          .array(fields.sourceTerms, `${path}.sourceTerms`)
          .map((term, position) => reader.number(term, `${path}.sourceTerms[${position}]`)),
        entries: reader
          .array(fields.entries, `${path}.entries`)
          .map((entry, position) =>
            mergedEntryFromJson(entry, `${path}.entries[${position}]`, depth + 1, unsigned),
          ),
      };
    default:
      return reader.fail(`${path}.type`, `unknown command type ${JSON.stringify(fields.type)?.slice(0, 64)}`);
  }
}

function mergedEntryFromJson(value: unknown, path: string, depth: number, unsigned: boolean): MergedEntry {
  const fields = reader.object(value, path);
  const entry: MergedEntry = {
    index: reader.number(fields.index, `${path}.index`),
    term: reader.number(fields.term, `${path}.term`),
    timestampMs: reader.number(fields.timestampMs, `${path}.timestampMs`),
    command: commandFromJson(fields.command, `${path}.command`, depth, unsigned),
  };
  if (fields.result !== undefined) entry.result = reader.result(fields.result, `${path}.result`);
  return entry;
}

/**
 * A merged entry's bytes: what a pair-mode backup offers the main for one of its solo entries
 * after a split brain (see mergedEntryFrom), as JSON of the MergedEntry. It travels in a
 * MergeOffer only, never in the log: the main builds merge commands from it (see planMerge).
 */
export function encodeMergedEntry(merged: MergedEntry): Uint8Array {
  return encoder.encode(JSON.stringify(merged));
}

export type DecodedMergedEntry =
  | { ok: true; entry: MergedEntry }
  | {
      ok: false;
      /** The field at fault, relative to the entry ('' for the whole of it). */
      field: string;
      message: string;
    };

/**
 * Reads an offered entry's bytes, which must describe a valid merged entry (validateMergedEntry)
 * for the log position it was offered at. Never throws: the bytes come from a peer.
 */
export function decodeMergedEntry(
  bytes: Uint8Array,
  position: { index: number; term: number },
  options?: Partial<LedgerOptions>,
): DecodedMergedEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    return { ok: false, field: '', message: 'is not a merged entry (JSON)' };
  }
  const error = validateMergedEntry(parsed, options);
  if (error !== null) return { ok: false, ...error };
  const entry = parsed as MergedEntry;
  if (entry.index !== position.index || entry.term !== position.term) {
    return {
      ok: false,
      field: '',
      message: `describes ${entry.index}/${entry.term}, not ${position.index}/${position.term}`,
    };
  }
  return { ok: true, entry };
}
