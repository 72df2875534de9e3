import { Ledger } from '@tandem/ledger';
import { expect } from 'chai';
import { leaseIntentFor } from '../src/operations.js';

describe('the edge turns an unknown lease into a lease intent (pair mode)', () => {
  const release = { type: 'release_lease' as const, requestId: 'r1', leaseId: 'lease-2-7-0123456789abcdef' };
  const renew = {
    type: 'renew_lease' as const,
    requestId: 'r2',
    leaseId: 'lease-2-7-0123456789abcdef',
    ttlMs: 500,
  };

  it('only in pair mode, without the peer, with a workstation identity, for a well-formed unknown lease', () => {
    const ledger = new Ledger();
    expect(leaseIntentFor(release, ledger, 'ws-1', true, true)).to.deep.equal({
      type: 'lease_intent',
      requestId: 'r1',
      leaseId: release.leaseId,
      workstationId: 'ws-1',
      action: 'release',
      ttlMs: 0,
    });
    expect(leaseIntentFor(renew, ledger, 'ws-1', true, true)).to.deep.include({
      action: 'renew',
      ttlMs: 500,
    });
    expect(leaseIntentFor(release, ledger, 'ws-1', false, true)).to.equal(null);
    expect(leaseIntentFor(release, ledger, 'ws-1', true, false)).to.equal(null);
    expect(leaseIntentFor(release, ledger, null, true, true)).to.equal(null);
    expect(leaseIntentFor({ ...release, leaseId: 'not-a-lease' }, ledger, 'ws-1', true, true)).to.equal(null);
  });
});
