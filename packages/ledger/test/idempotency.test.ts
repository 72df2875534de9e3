import { expect } from 'chai';
import { Ledger } from '../src/ledger.js';
import { COMPACT_RECORD_BYTES } from '../src/request-book.js';
import { ACTOR, Driver, expectLease, expectRejected, expectSameAnswer, HOUR_MS, T0 } from './helpers.js';

describe('idempotency', () => {
  it('answers a retry with the first result and changes nothing', () => {
    const driver = new Driver();
    driver.activate({ quota: { units: 100, period: 'day' } });
    const first = driver.report('cad-1', 10, 'report-1');
    const hash = driver.ledger.stateHash();
    driver.advance(1000);
    expectSameAnswer(driver.report('cad-1', 10, 'report-1'), first);
    expect(driver.ledger.stateHash()).to.equal(hash);
    expect(driver.ledger.usage('cad-1')[0]?.used).to.equal(10);
    expect(driver.ledger.lookupRequest('report-1')).to.deep.equal(first);
  });

  it('refuses a request id reused for a different command, changing and remembering nothing', () => {
    const driver = new Driver();
    driver.activate({ quota: { units: 100, period: 'day' } });
    const first = driver.report('cad-1', 10, 'report-1');
    const hash = driver.ledger.stateHash();
    expectRejected(driver.report('cad-1', 55, 'report-1'), 'request_id_reused', 'report-1');
    expectRejected(driver.acquire('cad-1', 'ws-1', 1000, 'report-1'), 'request_id_reused');
    expect(
      driver.ledger.isRequestIdReused({
        type: 'report_usage',
        requestId: 'report-1',
        licenceId: 'cad-1',
        workstationId: 'ws-1',
        units: 55,
      }),
    ).to.equal(true);
    expect(
      driver.ledger.isRequestIdReused({
        type: 'report_usage',
        requestId: 'report-1',
        licenceId: 'cad-1',
        workstationId: 'ws-1',
        units: 10,
      }),
    ).to.equal(false);
    expect(driver.ledger.stateHash()).to.equal(hash);
    expectSameAnswer(driver.ledger.lookupRequest('report-1'), first);
    expectSameAnswer(driver.report('cad-1', 10, 'report-1'), first);
  });

  it('matches a retried acquire whatever its nonce or actor, and a retried update whatever its actor', () => {
    const driver = new Driver();
    driver.activate();
    const lease = expectLease(driver.acquireWithNonce('cad-1', 'ws-1', '00000000000000aa', 1000, 'a-1'));
    expect(expectLease(driver.acquireWithNonce('cad-1', 'ws-1', '00000000000000bb', 1000, 'a-1'))).to.equal(
      lease,
    );
    const update = driver.update('cad-1', { seats: 1 }, 'u-1');
    const again = driver.apply({
      type: 'update_licence',
      requestId: 'u-1',
      licenceId: 'cad-1',
      licenceFile: null,
      changes: { seats: 1 },
      actor: { ...ACTOR, from: 'ipv4:10.0.0.9:1234' },
    });
    expect(again).to.equal(update);
  });

  it('matches any command to a request remembered before fingerprints (restored from an old snapshot)', () => {
    const old = new TextEncoder().encode(
      `${JSON.stringify({ format: 'tandem-ledger-snapshot', v: 3, appliedIndex: 5, clockMs: T0, licences: 0, leases: 0, usage: 0, requests: 1, incidents: 0 })}\n` +
        `${JSON.stringify(['old', 5, T0, { ok: false, reason: 'licence_not_found', message: 'gone' }])}\n`,
    );
    const ledger = Ledger.restore(old);
    const result = ledger.apply({
      index: 6,
      term: 1,
      timestampMs: T0,
      command: { type: 'release_lease', requestId: 'old', leaseId: 'lease-1-1' },
    });
    expectRejected(result, 'licence_not_found', 'gone');
  });

  it('does not grant a second lease to a retried acquire after the first was released', () => {
    const driver = new Driver();
    driver.activate();
    const lease = expectLease(driver.acquire('cad-1', 'ws-1', 1000, 'acquire-1'));
    driver.release(lease.leaseId);
    expect(expectLease(driver.acquire('cad-1', 'ws-1', 1000, 'acquire-1'))).to.deep.equal(lease);
    expect(driver.ledger.leaseCount()).to.equal(0);
  });

  it('remembers rejections, so a retry is refused the same way', () => {
    const driver = new Driver();
    driver.activate({ quota: { units: 50, period: 'day' } });
    driver.update('cad-1', { quota: { units: 5, period: 'day' } });
    const refused = driver.report('cad-1', 6, 'big');
    expectRejected(refused, 'quota_exhausted');
    driver.update('cad-1', { quota: { units: 50, period: 'day' } });
    expect(driver.report('cad-1', 6, 'big')).to.deep.equal(refused);
    const invalid = driver.report('cad-1', 0, 'zero');
    expectRejected(invalid, 'invalid_command', 'units');
    expect(driver.report('cad-1', 0, 'zero')).to.deep.equal(invalid);
    expect(driver.ledger.usage('cad-1')).to.deep.equal([]);
  });

  it('does not remember a command whose request id is itself invalid', () => {
    const driver = new Driver();
    driver.activate();
    expectRejected(driver.report('cad-1', 1, ''), 'invalid_command', 'request_id');
    expectRejected(driver.report('cad-1', 1, 'bad id'), 'invalid_command', 'request_id');
    expect(driver.ledger.lookupRequest('bad id')).to.equal(undefined);
    expect(driver.ledger.rememberedRequestCount()).to.equal(1);
  });

  it('forgets a request once the window has passed in entry time', () => {
    const driver = new Driver({ idempotencyWindowMs: HOUR_MS });
    driver.activate();
    const first = driver.report('cad-1', 1, 'r');
    driver.advance(HOUR_MS - 1);
    expectSameAnswer(driver.report('cad-1', 1, 'r'), first);
    driver.advance(1);
    const second = driver.report('cad-1', 1, 'r');
    expect(second).to.not.equal(first);
    expect(second).to.deep.include({ ok: true });
    expect(driver.ledger.usage('cad-1')[0]?.used).to.equal(2);
  });

  it('forgets the request at the window edge on any entry, a tick included', () => {
    const driver = new Driver({ idempotencyWindowMs: HOUR_MS });
    driver.activate();
    driver.report('cad-1', 1, 'r');
    driver.advance(HOUR_MS);
    expect(driver.ledger.lookupRequest('r')).to.not.equal(undefined);
    driver.tick();
    expect(driver.ledger.lookupRequest('r')).to.equal(undefined);
  });

  it('forgets the oldest requests beyond the count limit', () => {
    const driver = new Driver({ idempotencyMaxEntries: 3 });
    driver.activate({}, 'a');
    driver.report('cad-1', 1, 'b');
    driver.report('cad-1', 1, 'c');
    driver.report('cad-1', 1, 'd');
    expect(driver.ledger.rememberedRequestCount()).to.equal(3);
    expect(driver.ledger.lookupRequest('a')).to.equal(undefined);
    expect(driver.ledger.lookupRequest('b')).to.not.equal(undefined);
    expectRejected(driver.activate({}, 'a'), 'licence_exists');
    expect(driver.ledger.lookupRequest('b')).to.equal(undefined);
  });

  it('forgets the oldest requests beyond the byte limit, by an estimate the same on every node', () => {
    // A usage answer is estimated at COMPACT_RECORD_BYTES plus its request id; a licence answer
    // (kept as objects) costs more. 1000 bytes hold the licence's activation or about 7 reports.
    const options = { idempotencyMaxBytes: 1000 };
    const driver = new Driver(options);
    driver.activate({}, 'a');
    expect(driver.ledger.lookupRequest('a')).to.not.equal(undefined);
    const id = (number: number): string => `report-${String(number).padStart(2, '0')}`;
    const reportBytes = COMPACT_RECORD_BYTES + id(1).length;
    for (let number = 1; number <= 20; number++) driver.report('cad-1', 1, id(number));
    const kept = Math.floor(1000 / reportBytes);
    expect(driver.ledger.rememberedRequestCount()).to.equal(kept);
    expect(driver.ledger.lookupRequest('a')).to.equal(undefined);
    expect(driver.ledger.lookupRequest(id(20 - kept))).to.equal(undefined);
    expect(driver.ledger.lookupRequest(id(20 - kept + 1))).to.not.equal(undefined);
    // A restored ledger counts the same bytes, so it forgets the same records afterwards.
    const restored = Ledger.restore(driver.ledger.snapshot(), options);
    driver.report('cad-1', 1, 'report-21');
    restored.apply({
      index: driver.index,
      term: driver.term,
      timestampMs: driver.nowMs,
      command: {
        type: 'report_usage',
        requestId: 'report-21',
        licenceId: 'cad-1',
        workstationId: 'ws-1',
        units: 1,
      },
    });
    expect(restored.stateHash()).to.equal(driver.ledger.stateHash());
    expect(restored.rememberedRequestCount()).to.equal(kept);
    // A forgotten report is counted again.
    const before = driver.ledger.usage('cad-1')[0]?.used ?? 0;
    driver.report('cad-1', 1, 'report-01');
    expect(driver.ledger.usage('cad-1')[0]?.used).to.equal(before + 1);
  });

  it('keeps the newest request even when it alone is over the byte limit', () => {
    const driver = new Driver({ idempotencyMaxBytes: 100 });
    driver.activate({}, 'a');
    expect(driver.ledger.rememberedRequestCount()).to.equal(1);
    driver.report('cad-1', 1, 'b');
    expect(driver.ledger.rememberedRequestCount()).to.equal(1);
    expect(driver.ledger.lookupRequest('b')).to.not.equal(undefined);
  });

  it('returns frozen results that callers cannot alter', () => {
    const driver = new Driver();
    const result = driver.activate();
    expect(Object.isFrozen(result)).to.equal(true);
    expect(() => {
      (result as { ok: boolean }).ok = false;
    }).to.throw(TypeError);
  });
});
