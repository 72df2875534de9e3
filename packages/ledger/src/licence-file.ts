// Licence files: what a software vendor signs and an operator activates (docs/vendor-licences.md).
// A file is a small JSON document, the envelope, holding the signed payload in base64, the id of
// the vendor key that signed it and the Ed25519 signature:
//
//   { "format": "tandem-licence", "version": 1, "keyId": "acme-2026",
//     "payload": "<base64 of the payload's UTF-8 JSON>", "signature": "<base64, 64 bytes>" }
//
// The signature covers SIGNED_PREFIX followed by the payload bytes exactly as they are in the file,
// so nothing has to be re-encoded to be checked. This module only reads and writes the format; it
// is pure, so the ledger reads the terms from the file in the log entry itself. Checking the
// signature needs the vendor keys from each node's configuration and is done by the server before
// it proposes (see @tandem/issuer).
import { Buffer } from 'node:buffer';
import { deepFreeze } from './canonical.js';
import { isPeriod } from './period.js';
import type { LicenceSpec, Quota } from './types.js';

export const LICENCE_FILE_FORMAT = 'tandem-licence';
export const LICENCE_FILE_VERSION = 1;
/** The signature covers these bytes and then the payload's, so that a key signs nothing else alike. */
export const SIGNED_PREFIX = 'tandem-licence v1\n';
/** Far above any valid file (64 features of 1 KiB each, in base64); larger ones are refused unread. */
export const LICENCE_FILE_MAX_BYTES = 256 * 1024;
export const SIGNATURE_BYTES = 64;
/** Vendor key ids, as in the files and in tandemd's licensing.vendorKeys. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** Cluster ids: a UUID, or the same characters as a node id. */
export const CLUSTER_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** What a vendor signs: the licence's terms, and what binds them to one issue and one cluster. */
export interface LicenceTerms extends LicenceSpec {
  /** Each file the vendor issues for a licence carries a higher serial; an update needs a higher one. */
  serial: number;
  /** The vendor's name, as the vendor chose to write it. */
  vendor: string;
  issuedAtMs: number;
  /** The cluster the licence is issued for (tandemctl status shows it). */
  clusterId: string;
}

export interface ParsedLicenceFile {
  keyId: string;
  /** The payload bytes as they are in the file: what the signature covers, after SIGNED_PREFIX. */
  payload: Uint8Array;
  signature: Uint8Array;
  terms: LicenceTerms;
}

export type LicenceFileReading = { ok: true; file: ParsedLicenceFile } | { ok: false; problem: string };

/** The payload's members in the order the issuer writes them; no other member is allowed. */
const PAYLOAD_FIELDS = [
  'licenceId',
  'product',
  'seats',
  'quota',
  'validFromMs',
  'validUntilMs',
  'redundancy',
  'features',
  'serial',
  'vendor',
  'issuedAtMs',
  'clusterId',
] as const;
const ENVELOPE_FIELDS = ['format', 'version', 'keyId', 'payload', 'signature'];
const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Standard base64 with padding, nothing else: one file has one spelling. */
function strictBase64(value: unknown): Uint8Array | null {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64_PATTERN.test(value)) return null;
  const bytes = Buffer.from(value, 'base64');
  return bytes.toString('base64') === value ? new Uint8Array(bytes) : null;
}

/** The bytes a signature covers: SIGNED_PREFIX, then the payload. */
export function signedMessage(payload: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from(SIGNED_PREFIX, 'utf8'), payload]);
}

/** The payload's bytes for a set of terms, its members in a fixed order. */
export function encodeLicencePayload(terms: LicenceTerms): Uint8Array {
  const ordered: Fields = {};
  for (const field of PAYLOAD_FIELDS) ordered[field] = terms[field];
  return encoder.encode(JSON.stringify(ordered));
}

/** The file's text (indented JSON and a final line break) for a signed payload. */
export function encodeLicenceFile(file: {
  keyId: string;
  payload: Uint8Array;
  signature: Uint8Array;
}): string {
  const envelope = {
    format: LICENCE_FILE_FORMAT,
    version: LICENCE_FILE_VERSION,
    keyId: file.keyId,
    payload: Buffer.from(file.payload).toString('base64'),
    signature: Buffer.from(file.signature).toString('base64'),
  };
  return `${JSON.stringify(envelope, null, 2)}\n`;
}

function quotaOf(value: unknown): Quota | null | string {
  if (value === null) return null;
  if (!isObject(value)) return 'quota: must be null or { units, period }';
  const extra = Object.keys(value).find((key) => key !== 'units' && key !== 'period');
  if (extra !== undefined) return `quota: unknown member ${JSON.stringify(extra.slice(0, 64))}`;
  if (typeof value.units !== 'number') return 'quota.units: must be a number';
  if (typeof value.period !== 'string' || !isPeriod(value.period))
    return 'quota.period: must be day, week or month';
  return { units: value.units, period: value.period };
}

/**
 * The terms of a payload, with every member of the right JSON type; value limits (seats > 0, id
 * formats...) are checked by validate.ts, so that they are the ledger's own limits.
 */
function termsOf(value: unknown): LicenceTerms | string {
  if (!isObject(value)) return 'payload: must be a JSON object';
  const extra = Object.keys(value).find((key) => !(PAYLOAD_FIELDS as readonly string[]).includes(key));
  if (extra !== undefined) return `payload: unknown member ${JSON.stringify(extra.slice(0, 64))}`;
  for (const field of ['licenceId', 'product', 'vendor', 'clusterId'] as const) {
    if (typeof value[field] !== 'string') return `${field}: must be a string`;
  }
  for (const field of ['seats', 'validFromMs', 'validUntilMs', 'serial', 'issuedAtMs'] as const) {
    if (typeof value[field] !== 'number') return `${field}: must be a number`;
  }
  if (typeof value.redundancy !== 'boolean') return 'redundancy: must be true or false';
  const quota = quotaOf(value.quota);
  if (typeof quota === 'string') return quota;
  if (!isObject(value.features)) return 'features: must be a map of strings';
  const features: Record<string, string> = {};
  for (const [key, feature] of Object.entries(value.features)) {
    if (typeof feature !== 'string')
      return `features: the value of ${JSON.stringify(key.slice(0, 64))} must be a string`;
    // defineProperty keeps a key such as "__proto__" plain data.
    Object.defineProperty(features, key, {
      value: feature,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return {
    licenceId: value.licenceId as string,
    product: value.product as string,
    seats: value.seats as number,
    quota,
    validFromMs: value.validFromMs as number,
    validUntilMs: value.validUntilMs as number,
    redundancy: value.redundancy,
    features,
    serial: value.serial as number,
    vendor: value.vendor as string,
    issuedAtMs: value.issuedAtMs as number,
    clusterId: value.clusterId as string,
  };
}

export interface LicenceEnvelope {
  keyId: string;
  /** The payload bytes as they are in the file: what the signature covers, after SIGNED_PREFIX. */
  payload: Uint8Array;
  signature: Uint8Array;
}

export type LicenceEnvelopeReading = { ok: true; envelope: LicenceEnvelope } | { ok: false; problem: string };

/**
 * Reads a licence file's envelope: the key id, the payload bytes and the signature, without
 * reading the payload (so that a verifier checks the signature before it trusts the payload).
 */
export function readLicenceEnvelope(text: string): LicenceEnvelopeReading {
  const fail = (problem: string): LicenceEnvelopeReading => ({ ok: false, problem });
  if (typeof text !== 'string' || text.length === 0) return fail('is empty');
  if (text.length > LICENCE_FILE_MAX_BYTES) return fail(`is longer than ${LICENCE_FILE_MAX_BYTES} bytes`);
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    return fail('is not a licence file (not JSON)');
  }
  if (!isObject(envelope) || envelope.format !== LICENCE_FILE_FORMAT) {
    return fail(`is not a licence file (format is not "${LICENCE_FILE_FORMAT}")`);
  }
  if (envelope.version !== LICENCE_FILE_VERSION) {
    return fail(
      `has version ${String(envelope.version).slice(0, 16)}; this server reads version ${LICENCE_FILE_VERSION}`,
    );
  }
  const extra = Object.keys(envelope).find((key) => !ENVELOPE_FIELDS.includes(key));
  if (extra !== undefined) return fail(`has an unknown member ${JSON.stringify(extra.slice(0, 64))}`);
  if (typeof envelope.keyId !== 'string' || !KEY_ID_PATTERN.test(envelope.keyId)) {
    return fail('keyId: must be 1..64 characters of A-Z a-z 0-9 . _ -');
  }
  const payload = strictBase64(envelope.payload);
  if (payload === null || payload.length === 0) return fail('payload: must be base64');
  const signature = strictBase64(envelope.signature);
  if (signature === null || signature.length !== SIGNATURE_BYTES) {
    return fail(`signature: must be ${SIGNATURE_BYTES} bytes in base64`);
  }
  return { ok: true, envelope: { keyId: envelope.keyId, payload, signature } };
}

/** The terms in a payload, with every member of the right JSON type (values are checked by validate.ts). */
export function readLicencePayload(
  payload: Uint8Array,
): { ok: true; terms: LicenceTerms } | { ok: false; problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(payload));
  } catch {
    return { ok: false, problem: 'payload: is not UTF-8 JSON' };
  }
  const terms = termsOf(parsed);
  return typeof terms === 'string' ? { ok: false, problem: `payload ${terms}` } : { ok: true, terms };
}

/**
 * Reads a licence file: its envelope, the payload's JSON and the types of the terms. Never throws;
 * a problem is described without echoing more than a few characters of the file.
 */
export function readLicenceFile(text: string): LicenceFileReading {
  if (lastReading !== null && lastReading.text === text) return lastReading.reading;
  const reading = readLicenceFileAfresh(text);
  lastReading = { text, reading: deepFreeze(reading) };
  return lastReading.reading;
}

/**
 * The last file read and what it gave. Validating and applying one activation read the same file
 * six times (validation, terms, grant, audit): 30 % of a restarted node's replay in the benchmark,
 * whose log starts with 4,096 activations. One entry is enough for that, and the reading is frozen,
 * so sharing it cannot change what any caller computes (its byte buffers, the payload and the
 * signature, cannot be frozen; nothing writes to them).
 */
let lastReading: { text: string; reading: LicenceFileReading } | null = null;

function readLicenceFileAfresh(text: string): LicenceFileReading {
  const envelope = readLicenceEnvelope(text);
  if (!envelope.ok) return envelope;
  const payload = readLicencePayload(envelope.envelope.payload);
  if (!payload.ok) return payload;
  return { ok: true, file: { ...envelope.envelope, terms: payload.terms } };
}
