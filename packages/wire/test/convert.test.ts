import type { AuditRecord, Incident, Lease, Licence } from '@tandem/ledger';
import { expect } from 'chai';
import {
  auditRecordFromWire,
  auditRecordToWire,
  incidentFromWire,
  incidentToWire,
  leaseAnswerFromWire,
  leaseAnswerToWire,
  leaseFromWire,
  leaseToWire,
  licenceFromWire,
  licenceSpecFromWire,
  licenceToWire,
  periodFromWire,
  quotaFromWire,
} from '../src/convert.js';
import { loadTandemProto, packageDefinition } from '../src/loader.js';
import { REJECTION_STATUS } from '../src/metadata.js';

const licence: Licence = {
  licenceId: 'cad',
  product: 'CAD',
  seats: 4,
  quota: { units: 500, period: 'week' },
  validFromMs: 1000,
  validUntilMs: 2000,
  redundancy: true,
  features: { tier: 'pro' },
  status: 'active',
  activatedAtMs: 10,
  updatedAtMs: 20,
  grant: {
    serial: 3,
    vendor: 'Acme',
    keyId: 'acme-2026',
    issuedAtMs: 5,
    clusterId: 'c-1',
    limits: {
      licenceId: 'cad',
      product: 'CAD',
      seats: 10,
      quota: { units: 900, period: 'week' },
      validFromMs: 1000,
      validUntilMs: 3000,
      redundancy: true,
      features: { tier: 'pro' },
    },
    file: '{"format":"tandem-licence"}',
  },
};

const lease: Lease = {
  leaseId: 'lease-2-7',
  licenceId: 'cad',
  workstationId: 'ws-1',
  parameters: { host: 'h', user: 'u', cores: 8, productVersion: '2.1' },
  grantedAtMs: 100,
  renewedAtMs: 150,
  expiresAtMs: 200,
  ttlMs: 50,
};

/** Encodes and decodes an AdminService method's response, as a message crossing the wire would. */
function throughWire<T>(
  method: 'GetLicence' | 'RevokeLease' | 'ListIncidents' | 'ListAudit',
  value: unknown,
): T {
  const service = packageDefinition()['tandem.v1.AdminService'] as unknown as Record<
    string,
    { responseSerialize(value: unknown): Buffer; responseDeserialize(bytes: Buffer): unknown }
  >;
  const definition = service[method];
  if (definition === undefined) throw new Error(`AdminService has no ${method}`);
  return definition.responseDeserialize(definition.responseSerialize(value)) as T;
}

describe('wire conversions', () => {
  it('round-trips a licence through the protobuf encoding', () => {
    const wire = licenceToWire(licence, { seatsInUse: 3, usageThisPeriod: 42, periodStartMs: 99 });
    const decoded = throughWire<{ licence: Parameters<typeof licenceFromWire>[0] }>('GetLicence', {
      licence: wire,
    });
    const view = licenceFromWire(decoded.licence);
    // The signed file itself stays on the server.
    const { file: _file, ...grant } = licence.grant;
    expect(view).to.deep.equal({ ...licence, grant, seatsInUse: 3, usageThisPeriod: 42, periodStartMs: 99 });
  });

  it('round-trips audit records, merged or not, through the protobuf encoding', () => {
    const records: AuditRecord[] = [
      {
        index: 7,
        atMs: 1000,
        action: 'revoke_lease',
        actor: { name: 'ops', role: 'operator', via: 'certificate', from: 'ipv4:10.0.0.1:5000' },
        requestId: 'r-1',
        licenceId: 'cad',
        leaseId: 'lease-2-7-0123456789abcdef',
        outcome: 'ok',
        detail: 'stolen laptop',
        origin: null,
      },
      {
        index: 9,
        atMs: 2000,
        action: 'transfer_leadership',
        actor: { name: 'anonymous', role: 'admin', via: 'insecure', from: 'unknown' },
        requestId: null,
        licenceId: null,
        leaseId: null,
        outcome: 'licence_not_found',
        detail: 'to backup',
        origin: { nodeId: 'backup', index: 12, term: 4, timestampMs: 1900 },
      },
    ];
    const decoded = throughWire<{ records: Parameters<typeof auditRecordFromWire>[0][] }>('ListAudit', {
      records: records.map(auditRecordToWire),
    });
    expect(decoded.records.map(auditRecordFromWire)).to.deep.equal(records);
  });

  it('round-trips a lease through the protobuf encoding', () => {
    const decoded = throughWire<{ lease: Parameters<typeof leaseFromWire>[0] }>('RevokeLease', {
      lease: leaseToWire(lease),
    });
    expect(leaseFromWire(decoded.lease)).to.deep.equal(lease);
  });

  it('round-trips open and resolved incidents through the protobuf encoding', () => {
    const seats: Incident = {
      incidentId: 'incident-40-1',
      licenceId: 'cad',
      kind: 'seats',
      limit: 4,
      observed: 6,
      excess: 2,
      mainTerm: 5,
      backupTerms: [2, 4],
      sourceNodeId: 'backup',
      mergeIndex: 40,
      openedAtMs: 1_700_000_000_000,
      resolvedAtMs: null,
      periodStartMs: null,
      periodEndMs: null,
      startedAtMs: 1_699_999_990_000,
      endedAtMs: null,
      grantTerms: [2, 3, 4],
    };
    const usage: Incident = {
      ...seats,
      endedAtMs: null,
      grantTerms: [],
      incidentId: 'incident-40-2',
      kind: 'usage',
      resolvedAtMs: 1_700_000_100_000,
      periodStartMs: 0,
      periodEndMs: 86_400_000,
    };
    type Decoded = { incidents: Parameters<typeof incidentFromWire>[0][] };
    const decoded = throughWire<Decoded>('ListIncidents', { incidents: [seats, usage].map(incidentToWire) });
    expect(decoded.incidents.map(incidentFromWire)).to.deep.equal([seats, usage]);
  });

  it('keeps an absent quota absent, and marks an unspecified period as invalid', () => {
    expect(licenceSpecFromWire({ licenceId: 'x', product: 'p', seats: 1 } as never).quota).to.equal(null);
    expect(quotaFromWire({ units: 5, period: 'PERIOD_UNSPECIFIED' })?.period).to.not.be.oneOf([
      'day',
      'week',
      'month',
    ]);
    expect(periodFromWire('PERIOD_MONTH')).to.equal('month');
    expect(periodFromWire('PERIOD_UNSPECIFIED')).to.equal(null);
  });

  it('maps every rejection reason to a gRPC status', () => {
    for (const status of Object.values(REJECTION_STATUS)) expect(status).to.be.a('number').and.not.equal(0);
  });

  it('loads every service of the contract', () => {
    const services = loadTandemProto().tandem.v1;
    for (const name of ['WorkstationService', 'AdminService', 'PeerService', 'WitnessService'] as const) {
      expect(services[name].service, name).to.be.an('object');
    }
  });
});

describe('renewal and release answers', () => {
  it('carry the lease, or no lease and recorded_as_intent for an intent', () => {
    const wire = leaseAnswerToWire({ kind: 'lease', lease });
    expect(wire.recordedAsIntent).to.equal(false);
    expect(leaseAnswerFromWire({ lease: wire.lease as never, recordedAsIntent: false })).to.deep.equal(lease);
    const intent = leaseAnswerToWire({ kind: 'intent', leaseId: lease.leaseId, action: 'release' });
    expect(intent).to.deep.equal({ lease: null, recordedAsIntent: true });
    expect(leaseAnswerFromWire({ lease: null, recordedAsIntent: true })).to.equal('intent');
    expect(leaseAnswerFromWire({ lease: null, recordedAsIntent: false })).to.equal(null);
    expect(() => leaseAnswerToWire({ kind: 'noted' })).to.throw(/lease or intent/);
  });
});
