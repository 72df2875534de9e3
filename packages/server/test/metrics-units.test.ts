// The bounded parts of the metrics on their own: the cap on licence label values (with a ledger
// stand-in holding more licences than the cap), and the RPC wrapper (codes, meters, streams passed
// through). test/metrics.test.ts covers a real node.
import * as grpc from '@grpc/grpc-js';
import { isValidId, type Ledger } from '@tandem/ledger';
import { REASON_KEY } from '@tandem/wire';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { LicenceLabels, MAX_LABELLED_LICENCES, OTHER_LICENCE } from '../src/licence-labels.js';
import { LicenceMetrics } from '../src/licence-metrics.js';
import { type CallEnd, RpcMetrics } from '../src/rpc-metrics.js';

describe('LicenceLabels', () => {
  it('labels real licences up to the cap, first come first served, and never an unknown id', () => {
    const existing = new Set(['a', 'b', 'c', 'd']);
    const labels = new LicenceLabels((id) => existing.has(id), 2);
    expect(labels.labelOf('nope')).to.equal(OTHER_LICENCE);
    expect(labels.labelOf('b')).to.equal('b');
    expect(labels.full).to.equal(false);
    expect(labels.labelOf('a')).to.equal('a');
    expect(labels.full).to.equal(true);
    // Beyond the cap: counted together, however many there are.
    expect(labels.labelOf('c')).to.equal(OTHER_LICENCE);
    expect(labels.labelOf('d')).to.equal(OTHER_LICENCE);
    // A licence once labelled keeps its label, even if the ledger no longer had it.
    existing.delete('b');
    expect(labels.labelOf('b')).to.equal('b');
    expect([...labels.labelledLicences()]).to.deep.equal(['b', 'a']);
  });

  it('cannot collide with a licence id', () => {
    expect(isValidId(OTHER_LICENCE)).to.equal(false);
  });
});

describe('LicenceMetrics', () => {
  /** The parts of a ledger the metrics read, with `count` licences of 4 seats, 1 lease each. */
  function ledgerOf(count: number): Ledger {
    const licences = Array.from({ length: count }, (_, index) => ({
      licenceId: `lic-${String(index).padStart(3, '0')}`,
      seats: 4,
      quota: null,
    }));
    const byId = new Map(licences.map((licence) => [licence.licenceId, licence]));
    const partial = {
      clockMs: 0,
      listLicences: () => licences,
      getLicence: (id: string) => byId.get(id),
      licenceCount: () => licences.length,
      leaseCount: () => licences.length,
      seatsInUse: () => 1,
      currentUsage: () => null,
      openIncidentCount: () => 0,
    };
    return partial as unknown as Ledger;
  }

  it(`gives at most ${MAX_LABELLED_LICENCES} licences a series and counts the rest as unlabelled`, async () => {
    const registry = new Registry();
    const metrics = new LicenceMetrics(registry);
    metrics.watch(() => ledgerOf(MAX_LABELLED_LICENCES + 50));
    metrics.refresh();
    const text = await registry.metrics();
    const series = text.split('\n').filter((line) => line.startsWith('tandem_licence_seats_in_use{'));
    expect(series).to.have.length(MAX_LABELLED_LICENCES);
    // The first in licence id order.
    expect(series[0]).to.equal('tandem_licence_seats_in_use{licence="lic-000"} 1');
    expect(text).not.to.contain(`licence="lic-${MAX_LABELLED_LICENCES}"`);
    expect(text).to.contain('tandem_licences_unlabelled 50');
    // A lease of a licence beyond the cap is counted, under (other).
    const acquire = metrics.meters().get('tandem.v1.WorkstationService/AcquireLease');
    acquire?.({
      request: { licenceId: `lic-${MAX_LABELLED_LICENCES + 1}` },
      code: 0,
      reason: null,
      field: null,
    });
    acquire?.({ request: { licenceId: 'lic-001' }, code: 0, reason: null, field: null });
    const counted = await registry.metrics();
    expect(counted).to.contain(`tandem_licence_acquisitions_total{licence="${OTHER_LICENCE}"} 1`);
    expect(counted).to.contain('tandem_licence_acquisitions_total{licence="lic-001"} 1');
  });
});

describe('RpcMetrics', () => {
  const definition = {
    Unary: { path: '/t.S/Unary', requestStream: false, responseStream: false },
    Stream: { path: '/t.S/Stream', requestStream: true, responseStream: true },
  } as unknown as grpc.ServiceDefinition;

  function run(
    handler: grpc.UntypedHandleCall,
    request: unknown,
  ): Promise<{ error: unknown; value: unknown }> {
    return new Promise((resolve) =>
      (handler as grpc.handleUnaryCall<unknown, unknown>)(
        { request } as grpc.ServerUnaryCall<unknown, unknown>,
        (error, value) => resolve({ error, value }),
      ),
    );
  }

  it('times each unary call by service, method and code, and hands its end to the meter', async () => {
    const registry = new Registry();
    const ends: CallEnd[] = [];
    const metrics = new RpcMetrics(registry, new Map([['t.S/Unary', (end: CallEnd) => ends.push(end)]]));
    const stream = () => {};
    const implementation = metrics.instrument('t.S', definition, {
      Unary: ((
        call: grpc.ServerUnaryCall<{ fail: boolean }, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        if (!call.request.fail) return callback(null, { ok: true });
        const metadata = new grpc.Metadata();
        metadata.set(REASON_KEY, 'seat_limit_reached');
        callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'full', metadata });
      }) as grpc.UntypedHandleCall,
      Stream: stream,
    });
    // The long-lived stream is passed through untouched.
    expect(implementation.Stream).to.equal(stream);
    expect(await run(implementation.Unary as grpc.UntypedHandleCall, { fail: false })).to.deep.equal({
      error: null,
      value: { ok: true },
    });
    const failed = await run(implementation.Unary as grpc.UntypedHandleCall, { fail: true });
    expect((failed.error as grpc.StatusObject).code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
    expect(ends).to.deep.equal([
      { request: { fail: false }, code: grpc.status.OK, reason: null, field: null },
      {
        request: { fail: true },
        code: grpc.status.RESOURCE_EXHAUSTED,
        reason: 'seat_limit_reached',
        field: null,
      },
    ]);
    const text = await registry.metrics();
    expect(text).to.contain('tandem_rpc_duration_seconds_count{service="t.S",method="Unary",code="OK"} 1');
    expect(text).to.contain(
      'tandem_rpc_duration_seconds_count{service="t.S",method="Unary",code="RESOURCE_EXHAUSTED"} 1',
    );
    expect(text).not.to.contain('method="Stream"');
  });
});
