import { expect } from 'chai';
import { Ledger } from '../src/ledger.js';
import type { LicenceGrant } from '../src/types.js';
import {
  ACTOR,
  clusteredLedger,
  Driver,
  expectLease,
  expectLicence,
  expectOk,
  expectRejected,
  HOUR_MS,
  licenceFile,
  licenceSpec,
  T0,
  TEST_CLUSTER_ID,
} from './helpers.js';

function grantFor(file: string, overrides: Partial<LicenceGrant> = {}): LicenceGrant {
  return {
    serial: 1,
    vendor: 'Test Vendor',
    keyId: 'test-key',
    issuedAtMs: T0,
    clusterId: TEST_CLUSTER_ID,
    limits: licenceSpec(),
    file,
    ...overrides,
  };
}

describe('licences', () => {
  describe('activate_licence', () => {
    it('creates an active licence from the file, stamped with the entry time, with what the vendor signed', () => {
      const driver = new Driver();
      const spec = licenceSpec({ quota: { units: 10, period: 'day' } });
      const licence = expectLicence(driver.activate(spec));
      expect(licence).to.deep.equal({
        ...spec,
        status: 'active',
        activatedAtMs: T0,
        updatedAtMs: T0,
        grant: grantFor(licenceFile(spec), { limits: spec }),
      });
      expect(driver.ledger.getLicence('cad-1')).to.deep.equal(licence);
      expect(Object.isFrozen(licence) && Object.isFrozen(licence.features)).to.equal(true);
      expect(Object.isFrozen(licence.grant.limits.features)).to.equal(true);
    });

    it('refuses an existing id, even a deactivated one', () => {
      const driver = new Driver();
      expectLicence(driver.activate());
      expectRejected(driver.activate(), 'licence_exists', 'cad-1');
      driver.deactivate('cad-1');
      expectRejected(driver.activate(), 'licence_exists');
    });

    it('refuses a file with invalid terms naming the field', () => {
      const driver = new Driver();
      expectRejected(driver.activate({ seats: 0 }), 'invalid_command', 'licence_file: seats');
      expectRejected(
        driver.activate({ quota: { units: 1.5, period: 'day' } }),
        'invalid_command',
        'licence_file: quota.units',
      );
      expectRejected(driver.activate({ product: 'CAD\u001b[31m' }), 'invalid_command', 'control characters');
      expectRejected(
        driver.activate({}, 'r-serial', { serial: 0 }),
        'invalid_command',
        'licence_file: serial',
      );
      const garbage = driver.apply({
        type: 'activate_licence',
        requestId: 'g',
        licenceFile: '{"format":"zip"}',
        actor: ACTOR,
      });
      expectRejected(garbage, 'invalid_command', 'licence_file: is not a licence file');
      expect(driver.ledger.listLicences()).to.deep.equal([]);
    });

    it('refuses a file for another cluster, and any file before the cluster id is recorded', () => {
      const driver = new Driver();
      expectRejected(
        driver.activate({}, 'r1', { clusterId: 'other-cluster' }),
        'licence_wrong_cluster',
        'other-cluster',
      );
      const fresh = new Ledger();
      const result = fresh.apply({
        index: 1,
        term: 1,
        timestampMs: T0,
        command: { type: 'activate_licence', requestId: 'r', licenceFile: licenceFile(), actor: ACTOR },
      });
      expectRejected(result, 'licence_wrong_cluster', 'not recorded its cluster id');
    });

    it('refuses a file that has expired by the entry time', () => {
      const driver = new Driver();
      expectRejected(driver.activate({ validUntilMs: T0 }), 'licence_expired', `${T0}`);
      expectLicence(driver.activate({ validUntilMs: T0 + 1 }));
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

  describe('set_cluster_id', () => {
    it('records the first id; the same one again changes nothing, another is refused', () => {
      const ledger = new Ledger();
      expect(ledger.clusterId).to.equal(null);
      const apply = (index: number, clusterId: string) =>
        ledger.apply({ index, term: 1, timestampMs: T0, command: { type: 'set_cluster_id', clusterId } });
      expect(expectOk(apply(1, 'c-1'))).to.deep.equal({ kind: 'cluster', clusterId: 'c-1' });
      const hash = ledger.stateHash();
      expectOk(apply(2, 'c-1'));
      expectRejected(apply(3, 'c-2'), 'cluster_id_mismatch', 'c-1');
      expect(ledger.clusterId).to.equal('c-1');
      expect(ledger.stateHash()).to.equal(hash);
      expectRejected(apply(4, 'no spaces'), 'invalid_command', 'cluster_id');
    });

    it('is part of the state hash', () => {
      expect(clusteredLedger({}, 'a').stateHash()).to.not.equal(clusteredLedger({}, 'b').stateHash());
    });
  });

  describe('update_licence with a licence file', () => {
    it('replaces the terms and the grant with a file of a higher serial, keeping the status', () => {
      const driver = new Driver();
      driver.activate({ seats: 2 });
      driver.update('cad-1', { seats: 1 });
      driver.advance(1000);
      const licence = expectLicence(
        driver.updateFile({ seats: 20, features: { edition: 'max' } }, { serial: 2 }),
      );
      expect(licence.seats).to.equal(20);
      expect(licence.features).to.deep.equal({ edition: 'max' });
      expect(licence.grant.serial).to.equal(2);
      expect(licence.grant.limits.seats).to.equal(20);
      expect(licence.activatedAtMs).to.equal(T0);
      expect(licence.updatedAtMs).to.equal(T0 + 1000);
      driver.deactivate('cad-1');
      const later = expectLicence(driver.updateFile({ seats: 30 }, { serial: 3 }));
      expect(later.status).to.equal('deactivated');
    });

    it('refuses a serial that is not higher, a file for another licence or cluster, and an expired file', () => {
      const driver = new Driver();
      driver.activate({}, 'a', { serial: 5 });
      expectRejected(driver.updateFile({ seats: 9 }, { serial: 5 }), 'licence_serial_not_newer', 'serial 5');
      expectRejected(driver.updateFile({ seats: 9 }, { serial: 4 }), 'licence_serial_not_newer');
      const other = driver.apply({
        type: 'update_licence',
        requestId: 'x',
        licenceId: 'cad-1',
        licenceFile: licenceFile({ licenceId: 'cam-2' }, { serial: 9 }),
        changes: {},
        actor: ACTOR,
      });
      expectRejected(other, 'invalid_command', 'is for licence cam-2');
      expectRejected(driver.updateFile({}, { serial: 9, clusterId: 'elsewhere' }), 'licence_wrong_cluster');
      expectRejected(driver.updateFile({ validUntilMs: T0 - 1 }, { serial: 9 }), 'licence_expired');
      expect(driver.ledger.getLicence('cad-1')?.grant.serial).to.equal(5);
    });

    it('refuses changes beside a file, naming the change', () => {
      const driver = new Driver();
      driver.activate();
      const both = driver.apply({
        type: 'update_licence',
        requestId: 'x',
        licenceId: 'cad-1',
        licenceFile: licenceFile({}, { serial: 2 }),
        changes: { seats: 1 },
        actor: ACTOR,
      });
      expectRejected(both, 'invalid_command', 'seats: cannot change with a licence file');
    });
  });

  describe('update_licence by an operator', () => {
    it('applies changes within what the vendor signed and keeps the rest', () => {
      const driver = new Driver();
      driver.activate({ seats: 10, quota: { units: 500, period: 'week' }, validUntilMs: T0 + 100 * HOUR_MS });
      driver.advance(1000);
      const licence = expectLicence(
        driver.update('cad-1', {
          seats: 7,
          quota: { units: 5, period: 'week' },
          redundancy: false,
          validFromMs: T0 - HOUR_MS,
          validUntilMs: T0 + HOUR_MS,
        }),
      );
      expect(licence.seats).to.equal(7);
      expect(licence.quota).to.deep.equal({ units: 5, period: 'week' });
      expect(licence.redundancy).to.equal(false);
      expect(licence.validUntilMs).to.equal(T0 + HOUR_MS);
      expect(licence.product).to.equal('CAD Suite');
      expect(licence.activatedAtMs).to.equal(T0);
      expect(licence.updatedAtMs).to.equal(T0 + 1000);
      expect(licence.grant.limits.seats).to.equal(10);
      // Back up to what was signed, and no further.
      expect(expectLicence(driver.update('cad-1', { seats: 10, redundancy: true })).seats).to.equal(10);
      expectRejected(
        driver.update('cad-1', { seats: 11 }),
        'licence_limit_exceeded',
        'seats: 11 is more than the 10',
      );
    });

    it('refuses every change beyond the signed terms, naming the field, and changes nothing', () => {
      const driver = new Driver();
      driver.activate({
        seats: 4,
        quota: { units: 100, period: 'day' },
        validFromMs: T0 - HOUR_MS,
        validUntilMs: T0 + HOUR_MS,
        redundancy: false,
      });
      const hash = driver.ledger.stateHash();
      const refusals: Array<[Parameters<Driver['update']>[1], string]> = [
        [{ seats: 5 }, 'seats'],
        [{ quota: null }, 'quota'],
        [{ quota: { units: 101, period: 'day' } }, 'quota'],
        [{ quota: { units: 50, period: 'month' } }, 'quota'],
        [{ validFromMs: T0 - 2 * HOUR_MS }, 'valid_from_ms'],
        [{ validUntilMs: 0 }, 'valid_until_ms'],
        [{ validUntilMs: T0 + 2 * HOUR_MS }, 'valid_until_ms'],
        [{ redundancy: true }, 'redundancy'],
        [{ product: 'Other' }, 'product'],
        [{ features: { edition: 'max' } }, 'features'],
        [{ features: {} }, 'features'],
      ];
      for (const [changes, field] of refusals) {
        expectRejected(driver.update('cad-1', changes), 'licence_limit_exceeded', `${field}:`);
      }
      expect(driver.ledger.stateHash()).to.not.equal(hash); // the refusals are remembered requests
      expect(driver.ledger.getLicence('cad-1')?.seats).to.equal(4);
      // Restating what was signed is within it.
      expectLicence(driver.update('cad-1', { product: 'CAD Suite', features: { edition: 'pro' } }));
    });

    it('sets a quota where the vendor signed none', () => {
      const driver = new Driver();
      driver.activate();
      expect(
        expectLicence(driver.update('cad-1', { quota: { units: 3, period: 'month' } })).quota,
      ).to.deep.equal({
        units: 3,
        period: 'month',
      });
      expect(expectLicence(driver.update('cad-1', { quota: null })).quota).to.equal(null);
    });

    it('refuses an unknown licence and an update without a change', () => {
      const driver = new Driver();
      expectRejected(driver.update('nope', { seats: 1 }), 'licence_not_found', 'nope');
      driver.activate();
      expectRejected(driver.update('cad-1', {}), 'invalid_command', 'changes');
    });

    it('checks the validity window merged with the licence', () => {
      const driver = new Driver();
      driver.activate({ validFromMs: 100, validUntilMs: T0 + HOUR_MS });
      expectRejected(
        driver.update('cad-1', { validFromMs: T0 + 2 * HOUR_MS }),
        'invalid_command',
        'valid_from_ms',
      );
      expectRejected(driver.update('cad-1', { validUntilMs: 50 }), 'invalid_command', 'valid_until_ms');
      expect(driver.ledger.getLicence('cad-1')?.validFromMs).to.equal(100);
    });

    it('honours existing leases when seats drop, and grants none until back under the limit', () => {
      const driver = new Driver();
      driver.activate({ seats: 3 });
      const leases = ['w1', 'w2', 'w3'].map((workstation) =>
        expectLease(driver.acquire('cad-1', workstation)),
      );
      driver.update('cad-1', { seats: 1 });
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

  describe('unsigned licences (entries written before licences were signed)', () => {
    it('activates from a plain spec; its terms are its ceiling, raised only by legacy updates', () => {
      const driver = new Driver();
      const licence = expectLicence(
        driver.apply({ type: 'legacy_activate_licence', requestId: 'a', licence: licenceSpec({ seats: 3 }) }),
      );
      expect(licence.grant).to.deep.equal({
        serial: 0,
        vendor: '',
        keyId: '',
        issuedAtMs: 0,
        clusterId: '',
        limits: licenceSpec({ seats: 3 }),
        file: '',
      });
      const raised = expectLicence(
        driver.apply({
          type: 'legacy_update_licence',
          requestId: 'u',
          licenceId: 'cad-1',
          changes: { seats: 8 },
        }),
      );
      expect(raised.grant.limits.seats).to.equal(8);
      expectLicence(driver.update('cad-1', { seats: 2 }));
      expectRejected(driver.update('cad-1', { seats: 9 }), 'licence_limit_exceeded', 'seats');
      // A vendor file makes it a signed licence.
      expect(expectLicence(driver.updateFile({ seats: 50 }, { serial: 1 })).grant.serial).to.equal(1);
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
      const licence = expectLicence(driver.deactivate('a'));
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
      const first = expectLicence(driver.deactivate('cad-1'));
      driver.advance(50);
      const second = expectLicence(driver.deactivate('cad-1'));
      expect(second).to.deep.equal(first);
      expectRejected(driver.deactivate('x'), 'licence_not_found');
    });
  });

  it('starts empty', () => {
    const ledger = new Ledger();
    expect(ledger.appliedIndex).to.equal(0);
    expect(ledger.clockMs).to.equal(0);
    expect(ledger.clusterId).to.equal(null);
    expect(ledger.listLicences()).to.deep.equal([]);
    expect(ledger.getLicence('x')).to.equal(undefined);
    expect(ledger.currentUsage('x', T0)).to.equal(null);
  });
});
