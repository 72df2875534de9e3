import * as grpc from '@grpc/grpc-js';
import { FIELD_KEY, LEADER_ADDRESS_KEY, LEADER_ID_KEY, REASON_KEY, TERM_KEY } from '@tandem/wire';
import { expect } from 'chai';
import {
  describeFailure,
  errorFromStatus,
  InvalidArgumentError,
  NotFoundError,
  RejectedError,
  TandemError,
} from '../src/errors.js';

function metadata(values: Record<string, string>): grpc.Metadata {
  const result = new grpc.Metadata();
  for (const [key, value] of Object.entries(values)) result.set(key, value);
  return result;
}

describe('error mapping', () => {
  it('maps ledger rejections to RejectedError with the reason as code', () => {
    for (const [code, reason] of [
      [grpc.status.RESOURCE_EXHAUSTED, 'seat_limit_reached'],
      [grpc.status.RESOURCE_EXHAUSTED, 'quota_exhausted'],
      [grpc.status.ALREADY_EXISTS, 'licence_exists'],
      [grpc.status.FAILED_PRECONDITION, 'licence_expired'],
      [grpc.status.FAILED_PRECONDITION, 'licence_deactivated'],
      [grpc.status.FAILED_PRECONDITION, 'licence_overdrawn'],
    ] as const) {
      const error = errorFromStatus(
        { code, details: `${reason}: no`, metadata: metadata({ [REASON_KEY]: reason, [TERM_KEY]: '7' }) },
        'main:1',
      );
      expect(error).to.be.instanceOf(RejectedError);
      expect(error).to.include({
        code: reason,
        reason,
        retryable: false,
        term: 7,
        grpcCode: code,
        address: 'main:1',
      });
      expect(error.message).to.equal(`${reason}: no`);
    }
  });

  it('maps NOT_FOUND with a reason, or with only the field, to NotFoundError', () => {
    const withReason = errorFromStatus({
      code: grpc.status.NOT_FOUND,
      details: 'gone',
      metadata: metadata({ [REASON_KEY]: 'licence_not_found' }),
    });
    expect(withReason).to.be.instanceOf(NotFoundError);
    expect(withReason).to.include({
      code: 'licence_not_found',
      reason: 'licence_not_found',
      retryable: false,
    });
    const withField = errorFromStatus({
      code: grpc.status.NOT_FOUND,
      details: 'lease_id: lease "lease-4" does not exist',
      metadata: metadata({ [FIELD_KEY]: 'lease_id', [TERM_KEY]: '2' }),
    });
    expect(withField).to.be.instanceOf(NotFoundError);
    expect(withField).to.include({
      code: 'lease_not_found',
      reason: 'lease_not_found',
      field: 'lease_id',
      term: 2,
    });
    const unknown = errorFromStatus({ code: grpc.status.NOT_FOUND, details: 'no such node' });
    expect(unknown).to.include({ code: 'not_found', reason: null, field: null });
  });

  it('maps INVALID_ARGUMENT to InvalidArgumentError naming the field', () => {
    const error = errorFromStatus({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'seats: must be positive',
      metadata: metadata({ [FIELD_KEY]: 'licence.seats' }),
    });
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect(error).to.include({ code: 'invalid_argument', field: 'licence.seats', retryable: false });
  });

  it('makes UNAVAILABLE, DEADLINE_EXCEEDED and transport failures retryable', () => {
    const hinted = errorFromStatus({
      code: grpc.status.UNAVAILABLE,
      details: 'not leader',
      metadata: metadata({ [LEADER_ADDRESS_KEY]: 'backup:7400' }),
    });
    expect(hinted).to.include({ code: 'not_leader', retryable: true });
    expect(errorFromStatus({ code: grpc.status.UNAVAILABLE, details: 'down' })).to.include({
      code: 'unavailable',
      retryable: true,
    });
    expect(errorFromStatus({ code: grpc.status.DEADLINE_EXCEEDED })).to.include({
      code: 'deadline_exceeded',
      retryable: true,
    });
    expect(errorFromStatus({ code: grpc.status.INTERNAL, details: 'RST_STREAM' })).to.include({
      code: 'transport',
      retryable: true,
    });
  });

  it('does not retry what a retry cannot fix', () => {
    const serverInternal = errorFromStatus({
      code: grpc.status.INTERNAL,
      details: 'internal error',
      metadata: metadata({ [TERM_KEY]: '3' }),
    });
    expect(serverInternal).to.include({ code: 'internal', retryable: false });
    const tooLarge = errorFromStatus({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'message too large' });
    expect(tooLarge).not.to.be.instanceOf(RejectedError);
    expect(tooLarge).to.include({ code: 'resource_exhausted', retryable: false });
    expect(
      errorFromStatus({ code: grpc.status.INTERNAL, details: 'Request message serialization failure: bad' }),
    ).to.include({ code: 'internal', retryable: false });
    expect(errorFromStatus({ code: grpc.status.UNIMPLEMENTED })).to.include({
      code: 'unimplemented',
      retryable: false,
    });
  });

  it('reads the term and the leader hint of a failure', () => {
    const failure = describeFailure(
      {
        code: grpc.status.UNAVAILABLE,
        details: 'not leader',
        metadata: metadata({
          [LEADER_ADDRESS_KEY]: 'backup:7400',
          [LEADER_ID_KEY]: 'backup',
          [TERM_KEY]: '12',
        }),
      },
      'main:7400',
    );
    expect(failure.term).to.equal(12);
    expect(failure.hint).to.deep.equal({ address: 'backup:7400', leaderId: 'backup' });
    expect(failure.error).to.include({ address: 'main:7400', term: 12 });
    const empty = describeFailure({
      code: grpc.status.UNAVAILABLE,
      details: 'no leader',
      metadata: metadata({ [LEADER_ADDRESS_KEY]: '', [TERM_KEY]: 'x' }),
    });
    expect(empty.hint).to.equal(null);
    expect(empty.term).to.equal(null);
  });

  it('rethrows what is not a gRPC status, and passes typed errors through', () => {
    const bug = new TypeError('a bug');
    expect(() => describeFailure(bug)).to.throw(bug);
    const typed = new TandemError('closed', 'closed', { retryable: false });
    expect(describeFailure(typed).error).to.equal(typed);
  });
});
