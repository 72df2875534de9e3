import { expect } from 'chai';
import { Ledger } from '../src/ledger.js';
import { Driver, expectLease, expectLicence, expectRejected, licenceSpec, T0 } from './helpers.js';

describe('licences', () => {
  describe('activate_licence', () => {
    it('creates an active licence stamped with the entry time', () => {
      const driver = new Driver();
      const licence = expectLicence(driver.activate({ quota: { units: 10, period: 'day' } }));
      expect(licence).to.deep.equal({
        ...licenceSpec({ quota: { units: 10, period: 'day' } }),
        status: 'active',
        activatedAtMs: T0,
        updatedAtMs: T0,
      });
      expect(driver.ledger.getLicence('cad-1')).to.deep.equal(licence);
      expect(Object.isFrozen(licence) && Object.isFrozen(licence.features)).to.equal(true);
    });

    it('copies the command, so changing the command afterwards changes nothing', () => {
      const driver = new Driver();
      const spec = licenceSpec({ features: { edition: 'pro' } });
      driver.apply({ type: 'activate_licence', requestId: 'r', licence: spec });
      spec.features.edition = 'free';
      spec.seats = 99;
      expect(driver.ledger.getLicence('cad-1')?.features).to.deep.equal({ edition: 'pro' });
      expect(driver.ledger.getLicence('cad-1')?.seats).to.equal(2);
    });

    it('refuses an existing id, even a deactivated one', () => {
      const driver = new Driver();
      expectLicence(driver.activate());
      expectRejected(driver.activate(), 'licence_exists', 'cad-1');
      driver.apply({ type: 'deactivate_licence', requestId: 'd', licenceId: 'cad-1' });
      expectRejected(driver.activate(), 'licence_exists');
    });

    it('refuses an invalid spec naming the field', () => {
      const driver = new Driver();
      expectRejected(driver.activate({ seats: 0 }), 'invalid_command', 'licence.seats');
      expectRejected(
        driver.activate({ quota: { units: 1.5, period: 'day' } }),
        'invalid_command',
        'licence.quota.units',
      );
      expect(driver.ledger.listLicences()).to.deep.equal([]);
    });

    it('refuses a licence beyond the licence limit', () => {
      const driver = new Driver({ maxLicences: 2 });
      expectLicence(driver.activate({ licenceId: 'a' }));
      expectLicence(driver.activate({ licenceId: 'b' }));
      expectRejected(driver.activate({ licenceId: 'c' }), 'invalid_command', 'limit of 2 licences');
    });

    it('lists licences sorted by id', () => {
      const driver = new Driver();
      for (const licenceId of ['m', 'B', 'a', 'z']) driver.activate({ licenceId });
      expect(driver.ledger.listLicences().map((licence) => licence.licenceId)).to.deep.equal([
        'B',
        'a',
        'm',
        'z',
      ]);
      expect(driver.ledger.licenceCount()).to.equal(4);
    });
  });

  describe('update_licence', () => {
    it('applies the given changes and keeps the rest', () => {
      const driver = new Driver();
      driver.activate({ quota: { units: 5, period: 'week' } });
      driver.advance(1000);
      const licence = expectLicence(
        driver.apply({
          type: 'update_licence',
          requestId: 'u',
          licenceId: 'cad-1',
          changes: { seats: 7, features: { tier: 'gold' }, redundancy: false },
        }),
      );
      expect(licence.seats).to.equal(7);
      expect(licence.features).to.deep.equal({ tier: 'gold' });
      expect(licence.redundancy).to.equal(false);
      expect(licence.quota).to.deep.equal({ units: 5, period: 'week' });
      expect(licence.product).to.equal('CAD Suite');
      expect(licence.activatedAtMs).to.equal(T0);
      expect(licence.updatedAtMs).to.equal(T0 + 1000);
    });

    it('removes the quota with null', () => {
      const driver = new Driver();
      driver.activate({ quota: { units: 5, period: 'week' } });
      const update = {
        type: 'update_licence',
        requestId: 'u',
        licenceId: 'cad-1',
        changes: { quota: null },
      } as const;
      expect(expectLicence(driver.apply(update)).quota).to.equal(null);
    });

    it('refuses an unknown licence', () => {
      const driver = new Driver();
      const result = driver.apply({ type: 'update_licence', requestId: 'u', licenceId: 'nope', changes: {} });
      expectRejected(result, 'licence_not_found', 'nope');
    });

    it('checks the validity window merged with the licence', () => {
      const driver = new Driver();
      driver.activate({ validFromMs: 100, validUntilMs: 200 });
      const moveStart = driver.apply({
        type: 'update_licence',
        requestId: 'u1',
        licenceId: 'cad-1',
        changes: { validFromMs: 300 },
      });
      expectRejected(moveStart, 'invalid_command', 'valid_from_ms');
      const moveEnd = driver.apply({
        type: 'update_licence',
        requestId: 'u2',
        licenceId: 'cad-1',
        changes: { validUntilMs: 50 },
      });
      expectRejected(moveEnd, 'invalid_command', 'valid_until_ms');
      expect(driver.ledger.getLicence('cad-1')?.validFromMs).to.equal(100);
    });

    it('honours existing leases when seats drop, and grants none until back under the limit', () => {
      const driver = new Driver();
      driver.activate({ seats: 3 });
      const leases = ['w1', 'w2', 'w3'].map((workstation) =>
        expectLease(driver.acquire('cad-1', workstation)),
      );
      driver.apply({ type: 'update_licence', requestId: 'u', licenceId: 'cad-1', changes: { seats: 1 } });
      expect(driver.ledger.seatsInUse('cad-1')).to.equal(3);
      expectLease(driver.renew(leases[0]?.leaseId ?? ''));
      expectRejected(driver.acquire('cad-1', 'w4'), 'seat_limit_reached', '3 of 1 seats');
      driver.release(leases[0]?.leaseId ?? '');
      driver.release(leases[1]?.leaseId ?? '');
      expectRejected(driver.acquire('cad-1', 'w4'), 'seat_limit_reached');
      driver.release(leases[2]?.leaseId ?? '');
      expectLease(driver.acquire('cad-1', 'w4'));
    });
  });

  describe('deactivate_licence', () => {
    it('deactivates the licence and releases all its leases', () => {
      const driver = new Driver();
      driver.activate({ licenceId: 'a' });
      driver.activate({ licenceId: 'b' });
      expectLease(driver.acquire('a', 'w1'));
      expectLease(driver.acquire('a', 'w2'));
      const kept = expectLease(driver.acquire('b', 'w1'));
      driver.advance(10);
      const licence = expectLicence(
        driver.apply({ type: 'deactivate_licence', requestId: 'd', licenceId: 'a' }),
      );
      expect(licence.status).to.equal('deactivated');
      expect(licence.updatedAtMs).to.equal(T0 + 10);
      expect(driver.ledger.seatsInUse('a')).to.equal(0);
      expect(driver.ledger.listLeases()).to.deep.equal([kept]);
      expectRejected(driver.acquire('a', 'w1'), 'licence_deactivated');
      expectRejected(driver.report('a', 1), 'licence_deactivated');
      expectRejected(driver.renew('lease-1-3'), 'lease_not_found');
    });

    it('succeeds without change on a deactivated licence, and refuses an unknown one', () => {
      const driver = new Driver();
      driver.activate();
      const first = expectLicence(
        driver.apply({ type: 'deactivate_licence', requestId: 'd1', licenceId: 'cad-1' }),
      );
      driver.advance(50);
      const second = expectLicence(
        driver.apply({ type: 'deactivate_licence', requestId: 'd2', licenceId: 'cad-1' }),
      );
      expect(second).to.deep.equal(first);
      const unknown = driver.apply({ type: 'deactivate_licence', requestId: 'd3', licenceId: 'x' });
      expectRejected(unknown, 'licence_not_found');
    });
  });

  it('starts empty', () => {
    const ledger = new Ledger();
    expect(ledger.appliedIndex).to.equal(0);
    expect(ledger.clockMs).to.equal(0);
    expect(ledger.listLicences()).to.deep.equal([]);
    expect(ledger.getLicence('x')).to.equal(undefined);
    expect(ledger.currentUsage('x', T0)).to.equal(null);
  });
});
