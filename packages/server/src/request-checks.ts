// Checks of request fields that are not ledger commands (reads, leadership, audit queries) and of
// what the edge adds to a command (who asked). Every id is checked before any message echoes it,
// and every number against the safe integer range: grpc-js decodes a uint64 into a JavaScript
// number, so 2^64 - 1 arrives as a number that is not an integer the ledger can hold.
import { type Actor, isValidId, LICENCE_FILE_MAX_BYTES, LIMITS } from '@tandem/ledger';
import { InvalidArgumentError } from './errors.js';
import { identityOf } from './identity.js';

type AnyCall = Parameters<typeof identityOf>[0];

/** A licence, lease or request id: required, and of the form the ledger accepts, before it is echoed. */
export function requireIdentifier(value: string, field: string): void {
  if (value === '') throw new InvalidArgumentError(field, 'is required');
  if (!isValidId(value)) {
    throw new InvalidArgumentError(
      field,
      `must be 1..${LIMITS.idLengthMax} characters of A-Z a-z 0-9 . _ : -`,
    );
  }
}

/** A time in milliseconds since the epoch that the ledger can hold (0 included). */
export function requireTime(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > LIMITS.timeMaxMs) {
    throw new InvalidArgumentError(field, `must be a time in 0..${LIMITS.timeMaxMs} ms`);
  }
}

/** A whole number in minimum..maximum (both safe integers). */
export function requireInteger(value: number, field: string, minimum: number, maximum: number): void {
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new InvalidArgumentError(field, `must be an integer in ${minimum}..${maximum}`);
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A licence file's bytes as text: required, within the size limit, valid UTF-8. */
export function licenceFileText(bytes: Uint8Array | null | undefined): string {
  if (bytes === null || bytes === undefined || bytes.length === 0) {
    throw new InvalidArgumentError(
      'licence_file',
      'is required: a licence is activated from the file the vendor signed (tandemctl licence activate --file)',
    );
  }
  if (bytes.length > LICENCE_FILE_MAX_BYTES) {
    throw new InvalidArgumentError(
      'licence_file',
      `is larger than ${LICENCE_FILE_MAX_BYTES} bytes`,
      'licence_file_malformed',
    );
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new InvalidArgumentError('licence_file', 'is not UTF-8 text', 'licence_file_malformed');
  }
}

/** Control characters, U+FFFD and lone surrogates out, and at most `length` characters. */
function plain(text: string, length: number): string {
  const cleaned = [...text]
    .map((character) => {
      const code = character.codePointAt(0) ?? 0;
      const unprintable =
        code < 0x20 ||
        (code >= 0x7f && code <= 0x9f) ||
        code === 0xfffd ||
        (code >= 0xd800 && code <= 0xdfff);
      return unprintable ? '?' : character;
    })
    .join('');
  return cleaned.slice(0, length);
}

/**
 * Who asked, for the audit trail: the caller's identity, made to fit the ledger's limits (an odd
 * token name or address must not make an operator's request invalid).
 */
export function actorOf(call: AnyCall): Actor {
  const identity = identityOf(call);
  return {
    name: plain(identity.name, LIMITS.nameLengthMax) || 'unknown',
    role: plain(identity.role, LIMITS.actorWordLengthMax) || 'unknown',
    via: plain(identity.via, LIMITS.actorWordLengthMax) || 'unknown',
    from: plain(identity.from, LIMITS.addressLengthMax),
  };
}
