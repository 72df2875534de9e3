import { expect } from 'chai';
import { grantOf } from '../src/lease-id.js';
import { Ledger } from '../src/ledger.js';
import {
  ACTOR,
  activateCommand,
  clusteredLedger,
  Driver,
  expectLease,
  expectOk,
  expectRejected,
  HOUR_MS,
  MINUTE_MS,
  PARAMETERS,
  T0,
} from './helpers.js';

describe('leases', () => {
  describe('nextExpiryMs', () => {
    it('is null without leases, and never later than the earliest expiry', () => {
      const driver = new Driver();
      driver.activate();
      expect(driver.ledger.nextExpiryMs()).to.equal(null);
      expectLease(driver.acquire('cad-1', 'ws-1', 5 * MINUTE_MS));
      expectLease(driver.acquire('cad-1', 'ws-2', 2 * MINUTE_MS));
      expect(driver.ledger.nextExpiryMs()).to.equal(T0 + 2 * MINUTE_MS);
      driver.advance(3 * MINUTE_MS).apply({ type: 'tick' });
      expect(driver.ledger.nextExpiryMs()).to.equal(T0 + 5 * MINUTE_MS);
      driver.advance(3 * MINUTE_MS).apply({ type: 'tick' });
      expect(driver.ledger.nextExpiryMs()).to.equal(null);
    });
  });

  describe('acquire_lease', () => {
    it('grants a lease named after the entry term and index, expiring after the TTL', () => {
      const driver = new Driver();
      driver.activate();
      driver.term = 7;
      const lease = expectLease(driver.acquire('cad-1', 'ws-1', 5 * MINUTE_MS));
      expect(lease).to.deep.equal({
        leaseId: 'lease-7-2',
        licenceId: 'cad-1',
        workstationId: 'ws-1',
        parameters: PARAMETERS,
        grantedAtMs: T0,
        renewedAtMs: T0,
        expiresAtMs: T0 + 5 * MINUTE_MS,
        ttlMs: 5 * MINUTE_MS,
      });
      expect(driver.ledger.getLease('lease-7-2')).to.deep.equal(lease);
      expect(driver.ledger.seatsInUse('cad-1')).to.equal(1);
      expect(driver.ledger.leaseCount()).to.equal(1);
      expect(Object.isFrozen(lease) && Object.isFrozen(lease.parameters)).to.equal(true);
    });

    it('refuses an unknown licence', () => {
      expectRejected(new Driver().acquire('nope', 'ws-1'), 'licence_not_found');
    });

    it('respects the validity window in entry time', () => {
      const driver = new Driver();
      driver.activate({ validFromMs: T0 + 1000, validUntilMs: T0 + 2000 });
      expectRejected(driver.acquire('cad-1', 'ws-1'), 'licence_not_yet_valid');
      driver.advance(1000);
      expectLease(driver.acquire('cad-1', 'ws-1'));
      driver.advance(999);
      expectLease(driver.acquire('cad-1', 'ws-2'));
      driver.advance(1);
      expectRejected(driver.acquire('cad-1', 'ws-3'), 'licence_expired');
    });

    it('gives a workstation that asks again its existing lease, renewed, not a second seat', () => {
      const driver = new Driver();
      driver.activate({ seats: 1 });
      const first = expectLease(driver.acquire('cad-1', 'ws-1', MINUTE_MS));
      driver.advance(30_000);
      const again = expectLease(
        driver.apply({
          type: 'acquire_lease',
          requestId: 'again',
          licenceId: 'cad-1',
          workstationId: 'ws-1',
          parameters: { ...PARAMETERS, productVersion: '5.2' },
          ttlMs: 2 * MINUTE_MS,
          nonce: '',
        }),
      );
      expect(again).to.deep.equal({
        ...first,
        parameters: { ...PARAMETERS, productVersion: '5.2' },
        renewedAtMs: T0 + 30_000,
        expiresAtMs: T0 + 30_000 + 2 * MINUTE_MS,
        ttlMs: 2 * MINUTE_MS,
      });
      expect(driver.ledger.seatsInUse('cad-1')).to.equal(1);
    });

    it('refuses a new lease when every seat is in use', () => {
      const driver = new Driver();
      driver.activate({ seats: 2 });
      expectLease(driver.acquire('cad-1', 'ws-1'));
      expectLease(driver.acquire('cad-1', 'ws-2'));
      expectRejected(driver.acquire('cad-1', 'ws-3'), 'seat_limit_reached', '2 of 2 seats');
      expect(driver.ledger.seatsInUse('cad-1')).to.equal(2);
    });

    it('refuses a TTL outside 1..maxTtlMs', () => {
      const driver = new Driver({ maxTtlMs: HOUR_MS });
      driver.activate();
      expectRejected(driver.acquire('cad-1', 'ws-1', 0), 'invalid_command', 'ttl_ms');
      expectRejected(driver.acquire('cad-1', 'ws-1', HOUR_MS + 1), 'invalid_command', 'ttl_ms');
      expectLease(driver.acquire('cad-1', 'ws-1', HOUR_MS));
    });

    it('refuses a new lease beyond the ledger-wide lease limit', () => {
      const driver = new Driver({ maxLeases: 2 });
      driver.activate({ licenceId: 'a' });
      driver.activate({ licenceId: 'b' });
      expectLease(driver.acquire('a', 'ws-1'));
      expectLease(driver.acquire('b', 'ws-1'));
      expectRejected(driver.acquire('a', 'ws-2'), 'seat_limit_reached', 'limit of 2 leases');
    });

    it('lists leases in grant order, per licence or all', () => {
      const driver = new Driver();
      driver.activate({ licenceId: 'a', seats: 20 });
      driver.activate({ licenceId: 'b' });
      for (let n = 0; n < 10; n += 1) driver.acquire('a', `ws-${n}`);
      driver.acquire('b', 'ws-1');
      const ids = driver.ledger.listLeases('a').map((lease) => lease.leaseId);
      expect(ids).to.deep.equal(Array.from({ length: 10 }, (_, n) => `lease-1-${n + 3}`));
      expect(driver.ledger.listLeases('b').map((lease) => lease.leaseId)).to.deep.equal(['lease-1-13']);
      expect(driver.ledger.listLeases()).to.have.length(11);
      expect(driver.ledger.listLeases('none')).to.deep.equal([]);
    });
  });

  describe('renew_lease', () => {
    it('extends from now with the new TTL, or the current one when the TTL is 0', () => {
      const driver = new Driver();
      driver.activate();
      const lease = expectLease(driver.acquire('cad-1', 'ws-1', MINUTE_MS));
      driver.advance(20_000);
      const kept = expectLease(driver.renew(lease.leaseId, 0));
      expect(kept).to.deep.equal({ ...lease, renewedAtMs: T0 + 20_000, expiresAtMs: T0 + 80_000 });
      driver.advance(20_000);
      const changed = expectLease(driver.renew(lease.leaseId, 3 * MINUTE_MS));
      expect(changed.ttlMs).to.equal(3 * MINUTE_MS);
      expect(changed.expiresAtMs).to.equal(T0 + 40_000 + 3 * MINUTE_MS);
      expect(driver.ledger.getLease(lease.leaseId)).to.deep.equal(changed);
    });

    it('renews a lease that is overdue but not yet expired by a tick, and not one that was', () => {
      const driver = new Driver();
      driver.activate();
      const lease = expectLease(driver.acquire('cad-1', 'ws-1', MINUTE_MS));
      driver.advance(5 * MINUTE_MS);
      expectLease(driver.renew(lease.leaseId));
      driver.advance(5 * MINUTE_MS);
      expect(driver.tick()).to.deep.equal([lease.leaseId]);
      expectRejected(driver.renew(lease.leaseId), 'lease_not_found');
    });

    it('refuses an unknown lease and a bad TTL', () => {
      const driver = new Driver({ maxTtlMs: HOUR_MS });
      driver.activate();
      expectRejected(driver.renew('lease-1-99'), 'lease_not_found');
      const lease = expectLease(driver.acquire('cad-1', 'ws-1'));
      expectRejected(driver.renew(lease.leaseId, HOUR_MS + 1), 'invalid_command', 'ttl_ms');
    });

    it('refuses to renew once the licence has expired, leaving the lease for a tick to end', () => {
      const driver = new Driver();
      driver.activate({ validUntilMs: T0 + MINUTE_MS });
      const lease = expectLease(driver.acquire('cad-1', 'ws-1', MINUTE_MS));
      driver.advance(MINUTE_MS);
      expectRejected(driver.renew(lease.leaseId), 'licence_expired');
      expect(driver.tick()).to.deep.equal([lease.leaseId]);
    });
  });

  describe('release_lease and revoke_lease', () => {
    for (const type of ['release_lease', 'revoke_lease'] as const) {
      it(`${type} ends the lease, frees the seat and answers with the lease`, () => {
        const driver = new Driver();
        driver.activate({ seats: 1 });
        const lease = expectLease(driver.acquire('cad-1', 'ws-1'));
        const command =
          type === 'release_lease'
            ? ({ type, requestId: 'x1', leaseId: lease.leaseId } as const)
            : ({ type, requestId: 'x1', leaseId: lease.leaseId, reason: 'operator', actor: ACTOR } as const);
        expect(expectLease(driver.apply(command))).to.deep.equal(lease);
        expect(driver.ledger.getLease(lease.leaseId)).to.equal(undefined);
        expect(driver.ledger.seatsInUse('cad-1')).to.equal(0);
        expectRejected(driver.apply({ ...command, requestId: 'x2' }), 'lease_not_found');
        const next = expectLease(driver.acquire('cad-1', 'ws-1'));
        expect(next.leaseId).to.not.equal(lease.leaseId);
      });
    }
  });

  describe('tick', () => {
    it('expires every lease due by the entry time and reports their ids in grant order', () => {
      const driver = new Driver();
      driver.activate({ seats: 20 });
      for (let n = 0; n < 12; n += 1) driver.acquire('cad-1', `ws-${n}`, (12 - n) * 1000);
      driver.advance(6000);
      // ws-6..ws-11 had TTLs of 6 s down to 1 s: lease-1-8 .. lease-1-13.
      expect(driver.tick()).to.deep.equal([
        'lease-1-8',
        'lease-1-9',
        'lease-1-10',
        'lease-1-11',
        'lease-1-12',
        'lease-1-13',
      ]);
      expect(driver.ledger.seatsInUse('cad-1')).to.equal(6);
      expect(driver.tick()).to.deep.equal([]);
      driver.advance(100_000);
      expect(driver.tick()).to.have.length(6);
      expect(driver.ledger.leaseCount()).to.equal(0);
    });

    it('does not expire a lease renewed since its earlier expiry was queued', () => {
      const driver = new Driver();
      driver.activate();
      const lease = expectLease(driver.acquire('cad-1', 'ws-1', 1000));
      driver.advance(900);
      driver.renew(lease.leaseId, 1000);
      driver.advance(200);
      expect(driver.tick()).to.deep.equal([]);
      driver.advance(800);
      expect(driver.tick()).to.deep.equal([lease.leaseId]);
    });

    it('stays correct when renewals leave many stale queue entries', () => {
      const driver = new Driver();
      driver.activate({ seats: 3 });
      const leases = ['a', 'b', 'c'].map((workstation) =>
        expectLease(driver.acquire('cad-1', workstation, 1000)),
      );
      for (let round = 0; round < 2000; round += 1) {
        driver.advance(1);
        for (const lease of leases.slice(0, 2)) driver.renew(lease.leaseId, 1000);
      }
      expect(driver.tick()).to.deep.equal([leases[2]?.leaseId]);
      driver.advance(1000);
      expect(driver.tick()).to.deep.equal([leases[0]?.leaseId, leases[1]?.leaseId]);
    });

    it('leaves the state hash alone when nothing expires', () => {
      const driver = new Driver();
      driver.activate();
      driver.acquire('cad-1', 'ws-1');
      const before = driver.ledger.stateHash();
      driver.advance(1000);
      expect(driver.tick()).to.deep.equal([]);
      expect(driver.ledger.stateHash()).to.equal(before);
      expect(driver.ledger.clockMs).to.equal(T0 + 1000);
    });
  });

  describe('extend_leases', () => {
    it('moves every live expiry later by the failover time', () => {
      const driver = new Driver();
      driver.activate({ seats: 5 });
      const short = expectLease(driver.acquire('cad-1', 'ws-1', 1000));
      const long = expectLease(driver.acquire('cad-1', 'ws-2', 5000));
      const outcome = expectOk(driver.apply({ type: 'extend_leases', byMs: 3000 }));
      expect(outcome).to.deep.equal({ kind: 'extended', leaseCount: 2 });
      expect(driver.ledger.getLease(short.leaseId)?.expiresAtMs).to.equal(T0 + 4000);
      expect(driver.ledger.getLease(long.leaseId)?.expiresAtMs).to.equal(T0 + 8000);
      driver.advance(1000);
      expect(driver.tick()).to.deep.equal([]);
      driver.advance(3000);
      expect(driver.tick()).to.deep.equal([short.leaseId]);
    });

    it('refuses a negative or excessive extension', () => {
      const driver = new Driver({ maxExtendMs: 10_000 });
      expectRejected(driver.apply({ type: 'extend_leases', byMs: -1 }), 'invalid_command', 'by_ms');
      expectRejected(driver.apply({ type: 'extend_leases', byMs: 10_001 }), 'invalid_command', 'by_ms');
      expect(expectOk(driver.apply({ type: 'extend_leases', byMs: 0 }))).to.deep.equal({
        kind: 'extended',
        leaseCount: 0,
      });
    });
  });

  describe('lease ids', () => {
    it('end in the nonce the acquire command carries, and old ids without one still parse', () => {
      const driver = new Driver();
      driver.activate();
      const lease = expectLease(driver.acquireWithNonce('cad-1', 'ws-1', '0f1e2d3c4b5a6978'));
      expect(lease.leaseId).to.equal(`lease-1-${driver.index}-0f1e2d3c4b5a6978`);
      expect(grantOf(lease.leaseId)).to.deep.equal({ grantTerm: 1, grantIndex: driver.index });
      expect(grantOf('lease-7-12')).to.deep.equal({ grantTerm: 7, grantIndex: 12 });
      expect(grantOf('lease-7-12-0F1E2D3C4B5A6978')).to.equal(null);
      expect(grantOf('lease-7-12-0f1e')).to.equal(null);
      expectLease(driver.renew(lease.leaseId));
      expectRejected(driver.renew('lease-1-2-ffffffffffffffff'), 'lease_not_found');
    });

    it('refuses a nonce that is not 16 lowercase hex digits', () => {
      const driver = new Driver();
      driver.activate();
      for (const nonce of ['xyz', '0F1E2D3C4B5A6978', '0f1e2d3c4b5a69780']) {
        expectRejected(driver.acquireWithNonce('cad-1', 'ws-1', nonce), 'invalid_command', 'nonce');
      }
    });
  });

  describe('entry order and clock', () => {
    it('asserts strictly increasing indexes and allows gaps', () => {
      const ledger = new Ledger();
      ledger.apply({ index: 3, term: 1, timestampMs: T0, command: { type: 'tick' } });
      expect(ledger.appliedIndex).to.equal(3);
      expect(() => ledger.apply({ index: 3, term: 1, timestampMs: T0, command: { type: 'tick' } })).to.throw(
        /index 3/,
      );
      expect(() => ledger.apply({ index: 2, term: 1, timestampMs: T0, command: { type: 'tick' } })).to.throw(
        /index 2/,
      );
      ledger.apply({ index: 10, term: 1, timestampMs: T0, command: { type: 'tick' } });
      expect(ledger.appliedIndex).to.equal(10);
    });

    it('asserts a sane timestamp', () => {
      const ledger = new Ledger();
      expect(() => ledger.apply({ index: 1, term: 1, timestampMs: -1, command: { type: 'tick' } })).to.throw(
        /timestamp/,
      );
      expect(() => ledger.apply({ index: 1, term: 1, timestampMs: 1.5, command: { type: 'tick' } })).to.throw(
        /timestamp/,
      );
    });

    it('clamps a timestamp that goes backwards to the clock', () => {
      const ledger = clusteredLedger();
      ledger.apply({ index: 1, term: 1, timestampMs: T0, command: activateCommand() });
      const result = ledger.apply({
        index: 2,
        term: 1,
        timestampMs: T0 - 5000,
        command: {
          type: 'acquire_lease',
          requestId: 'b',
          licenceId: 'cad-1',
          workstationId: 'w',
          parameters: PARAMETERS,
          ttlMs: 1000,
          nonce: '',
        },
      });
      expect(ledger.clockMs).to.equal(T0);
      expect(expectLease(result).grantedAtMs).to.equal(T0);
      expect(expectLease(result).expiresAtMs).to.equal(T0 + 1000);
    });

    it('answers a malformed command with invalid_command rather than throwing', () => {
      const ledger = new Ledger();
      const result = ledger.apply({
        index: 1,
        term: 1,
        timestampMs: T0,
        command: { type: 'explode' } as never,
      });
      expectRejected(result, 'invalid_command', 'type');
    });
  });
});
