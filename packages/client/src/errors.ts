// Operational errors of the client, and the one place where a gRPC status with its trailing
// metadata becomes one of them. Every error has a `code` and says whether a retry (with the same
// request id) can succeed.
import * as grpc from '@grpc/grpc-js';
import {
  FIELD_KEY,
  LEADER_ADDRESS_KEY,
  LEADER_ID_KEY,
  metadataValue,
  RATE_LIMITED_REASON,
  REASON_KEY,
  REJECTION_STATUS,
  RETRY_AFTER_KEY,
  TERM_KEY,
} from '@tandem/wire';
import type { RejectionReason } from './types.js';

export interface TandemErrorOptions {
  retryable: boolean;
  /** The gRPC status the error came with, if it came from a server. */
  grpcCode?: grpc.status | null;
  /** The term the answering node stamped on the error, if any. */
  term?: number | null;
  /** The server that answered (or failed to), if known. */
  address?: string | null;
  cause?: unknown;
}

export class TandemError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly grpcCode: grpc.status | null;
  readonly term: number | null;
  readonly address: string | null;

  constructor(code: string, message: string, options: TandemErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TandemError';
    this.code = code;
    this.retryable = options.retryable;
    this.grpcCode = options.grpcCode ?? null;
    this.term = options.term ?? null;
    this.address = options.address ?? null;
  }
}

/** The ledger refused the operation (seat_limit_reached, quota_exhausted, licence_expired ...). */
export class RejectedError extends TandemError {
  readonly reason: RejectionReason;

  constructor(reason: RejectionReason, message: string, options: Omit<TandemErrorOptions, 'retryable'> = {}) {
    super(reason, message, { ...options, retryable: false });
    this.name = 'RejectedError';
    this.reason = reason;
  }
}

export type NotFoundReason = 'licence_not_found' | 'lease_not_found';

/** The licence or lease named by the request does not exist. `code` is the reason when known. */
export class NotFoundError extends TandemError {
  readonly reason: NotFoundReason | null;
  /** The request field (snake_case) that named the missing thing, when the server said. */
  readonly field: string | null;

  constructor(
    reason: NotFoundReason | null,
    field: string | null,
    message: string,
    options: Omit<TandemErrorOptions, 'retryable'> = {},
  ) {
    super(reason ?? 'not_found', message, { ...options, retryable: false });
    this.name = 'NotFoundError';
    this.reason = reason;
    this.field = field;
  }
}

/**
 * The request was malformed; `field` names the offending field (snake_case, may be empty), and
 * `reason` what is wrong when the server said (a licence file's licence_signature_invalid...).
 */
export class InvalidArgumentError extends TandemError {
  readonly field: string;
  readonly reason: string | null;

  constructor(
    field: string,
    message: string,
    options: Omit<TandemErrorOptions, 'retryable'> = {},
    reason: string | null = null,
  ) {
    super(reason ?? 'invalid_argument', message, { ...options, retryable: false });
    this.name = 'InvalidArgumentError';
    this.field = field;
    this.reason = reason;
  }
}

/** No server gave a usable answer within the attempts allowed. Retrying later may succeed. */
export class UnavailableError extends TandemError {
  readonly attempts: number;

  constructor(message: string, attempts: number, options: Omit<TandemErrorOptions, 'retryable'> = {}) {
    super('unavailable', message, { ...options, retryable: true });
    this.name = 'UnavailableError';
    this.attempts = attempts;
  }
}

/** An answer came from a term older than one already seen, so it may come from a deposed leader. */
export class FencedError extends TandemError {
  readonly answerTerm: number | null;
  readonly highestTerm: number;

  constructor(answerTerm: number | null, highestTerm: number, address: string) {
    const described = answerTerm === null ? 'an answer without a term' : `an answer from term ${answerTerm}`;
    super('fenced', `${address} gave ${described}, but term ${highestTerm} has been seen`, {
      retryable: true,
      term: answerTerm,
      address,
    });
    this.name = 'FencedError';
    this.answerTerm = answerTerm;
    this.highestTerm = highestTerm;
  }
}

/** The server did not accept this client's credentials (none, an unknown token, a wrong CA). */
export class AuthenticationError extends TandemError {
  constructor(message: string, options: Omit<TandemErrorOptions, 'retryable'> = {}) {
    super('unauthenticated', message, { ...options, retryable: false });
    this.name = 'AuthenticationError';
  }
}

/** The caller is known but its role may not do this (the message names the role needed). */
export class PermissionDeniedError extends TandemError {
  /** The request field the refusal is about, when the server named one (lease_id, say). */
  readonly field: string | null;
  constructor(field: string | null, message: string, options: Omit<TandemErrorOptions, 'retryable'> = {}) {
    super('permission_denied', message, { ...options, retryable: false });
    this.name = 'PermissionDeniedError';
    this.field = field;
  }
}

/** This client sent more calls than its identity may: wait retryAfterMs and try again. */
export class RateLimitedError extends TandemError {
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number, message: string, options: Omit<TandemErrorOptions, 'retryable'> = {}) {
    super('rate_limited', message, { ...options, retryable: true });
    this.name = 'RateLimitedError';
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * The TLS handshake failed: the server's certificate is not from the CA this client trusts, or is
 * not a node's, or the server refused this client's certificate. Retrying does not fix it.
 */
export class TlsError extends TandemError {
  constructor(message: string, options: Omit<TandemErrorOptions, 'retryable'> = {}) {
    super('tls', message, { ...options, retryable: false });
    this.name = 'TlsError';
  }
}

/** A settings file or object that does not validate; `field` is a dotted path. */
export class SettingsError extends TandemError {
  readonly field: string;
  /** The message without the field in front. */
  readonly detail: string;

  constructor(field: string, detail: string) {
    super('invalid_settings', `${field}: ${detail}`, { retryable: false });
    this.name = 'SettingsError';
    this.field = field;
    this.detail = detail;
  }
}

/** Where a follower says the leader is. Either part may be missing. */
export interface LeaderHint {
  leaderId: string | null;
  address: string | null;
}

/** What the client learns from a failed call: the typed error, the term, and a leader hint. */
export interface CallFailure {
  error: TandemError;
  term: number | null;
  hint: LeaderHint | null;
}

/** The parts of a gRPC status that the mapping reads (grpc.ServiceError has them all). */
export interface StatusLike {
  code: grpc.status;
  details?: string;
  message?: string;
  metadata?: grpc.Metadata;
}

export function isStatusLike(value: unknown): value is StatusLike {
  if (typeof value !== 'object' || value === null) return false;
  const code = (value as { code?: unknown }).code;
  return typeof code === 'number' && grpc.status[code] !== undefined;
}

export function termFromMetadata(metadata: grpc.Metadata | undefined): number | null {
  const text = metadataValue(metadata, TERM_KEY);
  if (text === undefined || !/^\d+$/.test(text)) return null;
  const term = Number(text);
  return Number.isSafeInteger(term) ? term : null;
}

export function leaderHintFromMetadata(metadata: grpc.Metadata | undefined): LeaderHint | null {
  const address = nonEmpty(metadataValue(metadata, LEADER_ADDRESS_KEY));
  const leaderId = nonEmpty(metadataValue(metadata, LEADER_ID_KEY));
  if (address === null && leaderId === null) return null;
  return { address, leaderId };
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

function isRejectionReason(value: string): value is RejectionReason {
  return Object.hasOwn(REJECTION_STATUS, value);
}

/** The reason a NOT_FOUND means when the server named only the field (its pre-checks do that). */
function notFoundReason(reason: string | null, field: string | null): NotFoundReason | null {
  if (reason === 'licence_not_found' || reason === 'lease_not_found') return reason;
  if (field === 'licence_id' || field === 'licence.licence_id') return 'licence_not_found';
  if (field === 'lease_id') return 'lease_not_found';
  return null;
}

/** How grpc-js words a connection that failed on certificates (Node's and OpenSSL's messages). */
const TLS_FAILURE =
  /certificate|self[- ]signed|unable to verify|is not (node|witness) "|names no Tandem identity|alert (bad|unknown|handshake)|tlsv1 alert|SSL routines|wrong version number/i;

/** Maps a gRPC status and its trailing metadata to a typed error. The one place that does this. */
export function errorFromStatus(status: StatusLike, address: string | null = null): TandemError {
  const metadata = status.metadata;
  const term = termFromMetadata(metadata);
  const reason = nonEmpty(metadataValue(metadata, REASON_KEY));
  const field = nonEmpty(metadataValue(metadata, FIELD_KEY));
  const message = status.details || status.message || grpc.status[status.code] || 'unknown error';
  const options = { grpcCode: status.code, term, address };
  const retryable = (code: string) => new TandemError(code, message, { ...options, retryable: true });
  const final = (code: string) => new TandemError(code, message, { ...options, retryable: false });

  switch (status.code) {
    case grpc.status.INVALID_ARGUMENT:
      return new InvalidArgumentError(field ?? '', message, options, reason);
    case grpc.status.NOT_FOUND:
      return new NotFoundError(notFoundReason(reason, field), field, message, options);
    case grpc.status.UNAUTHENTICATED:
      return new AuthenticationError(message, options);
    case grpc.status.PERMISSION_DENIED:
      return new PermissionDeniedError(field, message, options);
    case grpc.status.RESOURCE_EXHAUSTED:
      if (reason === RATE_LIMITED_REASON) {
        const waitText = metadataValue(metadata, RETRY_AFTER_KEY);
        const waitMs = waitText !== undefined && /^\d{1,7}$/.test(waitText) ? Number(waitText) : 1000;
        return new RateLimitedError(waitMs, message, options);
      }
      if (reason !== null && isRejectionReason(reason)) return new RejectedError(reason, message, options);
      return final('resource_exhausted');
    case grpc.status.ALREADY_EXISTS:
    case grpc.status.FAILED_PRECONDITION:
      if (reason !== null && isRejectionReason(reason)) return new RejectedError(reason, message, options);
      // A reason of the server's own (licence_not_redundant): final, named by it.
      if (reason !== null) return final(reason);
      // Without a reason this is gRPC itself talking (a message over the size limit, say).
      return final(grpc.status[status.code].toLowerCase());
    case grpc.status.UNAVAILABLE:
      // A handshake that failed on certificates fails the same way on every attempt.
      if (TLS_FAILURE.test(message)) return new TlsError(`TLS handshake failed: ${message}`, options);
      return retryable(leaderHintFromMetadata(metadata) === null ? 'unavailable' : 'not_leader');
    case grpc.status.DEADLINE_EXCEEDED:
      return retryable('deadline_exceeded');
    case grpc.status.CANCELLED:
      return retryable('cancelled');
    case grpc.status.ABORTED:
      return retryable('aborted');
    case grpc.status.INTERNAL:
      // A request this client cannot even encode fails the same way everywhere.
      if (/serialization failure/i.test(message)) return final('internal');
      // A server stamps its own errors with a term; an INTERNAL without one is the transport
      // failing (a reset stream), which a retry elsewhere can get past.
      return term === null ? retryable('transport') : final('internal');
    case grpc.status.UNIMPLEMENTED:
      return final('unimplemented');
    default:
      return final(grpc.status[status.code]?.toLowerCase() ?? 'unknown');
  }
}

/** Reads everything the client needs from a failed call; anything that is not a status is rethrown. */
export function describeFailure(error: unknown, address: string | null = null): CallFailure {
  if (error instanceof TandemError) return { error, term: error.term, hint: null };
  if (!isStatusLike(error)) throw error;
  return {
    error: errorFromStatus(error, address),
    term: termFromMetadata(error.metadata),
    hint: error.code === grpc.status.UNAVAILABLE ? leaderHintFromMetadata(error.metadata) : null,
  };
}
