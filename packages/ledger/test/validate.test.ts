import { expect } from 'chai';
import type { Command, LicenceSpec } from '../src/types.js';
import { validateCommand } from '../src/validate.js';
import { licenceSpec, PARAMETERS } from './helpers.js';

function activate(overrides: Partial<LicenceSpec> | Record<string, unknown>): Command {
  return {
    type: 'activate_licence',
    requestId: 'r1',
    licence: { ...licenceSpec(), ...overrides } as LicenceSpec,
  };
}

function fieldOf(command: unknown, options?: Parameters<typeof validateCommand>[1]): string | null {
  return validateCommand(command as Command, options)?.field ?? null;
}

const acquire = {
  type: 'acquire_lease',
  requestId: 'r1',
  licenceId: 'cad-1',
  workstationId: 'ws-1',
  parameters: PARAMETERS,
  ttlMs: 60_000,
};

describe('validateCommand', () => {
  it('accepts well-formed commands of every type', () => {
    const commands: Command[] = [
      activate({ quota: { units: 100, period: 'week' }, validFromMs: 5, validUntilMs: 6 }),
      { type: 'update_licence', requestId: 'r1', licenceId: 'cad-1', changes: { seats: 4, quota: null } },
      { type: 'deactivate_licence', requestId: 'r1', licenceId: 'cad-1' },
      acquire as Command,
      { type: 'renew_lease', requestId: 'r1', leaseId: 'lease-1-7', ttlMs: 0 },
      { type: 'release_lease', requestId: 'r1', leaseId: 'lease-1-7' },
      {
        type: 'report_usage',
        requestId: 'r1',
        licenceId: 'cad-1',
        workstationId: 'ws-1',
        units: 1_000_000_000_000,
      },
      { type: 'revoke_lease', requestId: 'r1', leaseId: 'lease-1-7', reason: '' },
      { type: 'tick' },
      { type: 'extend_leases', byMs: 0 },
    ];
    for (const command of commands) expect(validateCommand(command), command.type).to.equal(null);
  });

  it('names the licence fields of an activation', () => {
    expect(fieldOf(activate({ licenceId: '' }))).to.equal('licence.licence_id');
    expect(fieldOf(activate({ licenceId: 'has space' }))).to.equal('licence.licence_id');
    expect(fieldOf(activate({ licenceId: 'x'.repeat(129) }))).to.equal('licence.licence_id');
    expect(fieldOf(activate({ licenceId: 'A.b_c:d-9'.padEnd(128, 'z') }))).to.equal(null);
    expect(fieldOf(activate({ product: '' }))).to.equal('licence.product');
    expect(fieldOf(activate({ product: 'p'.repeat(257) }))).to.equal('licence.product');
    expect(fieldOf(activate({ seats: 0 }))).to.equal('licence.seats');
    expect(fieldOf(activate({ seats: 1.5 }))).to.equal('licence.seats');
    expect(fieldOf(activate({ seats: 1_000_001 }))).to.equal('licence.seats');
    expect(fieldOf(activate({ seats: '3' }))).to.equal('licence.seats');
    expect(fieldOf(activate({ quota: { units: 0, period: 'day' } }))).to.equal('licence.quota.units');
    expect(fieldOf(activate({ quota: { units: 2 ** 53, period: 'day' } }))).to.equal('licence.quota.units');
    expect(fieldOf(activate({ quota: { units: 5, period: 'unspecified' } }))).to.equal(
      'licence.quota.period',
    );
    expect(fieldOf(activate({ quota: 'lots' }))).to.equal('licence.quota');
    expect(fieldOf(activate({ validFromMs: -1 }))).to.equal('licence.valid_from_ms');
    expect(fieldOf(activate({ validUntilMs: Number.NaN }))).to.equal('licence.valid_until_ms');
    expect(fieldOf(activate({ validFromMs: 10, validUntilMs: 10 }))).to.equal('licence.valid_until_ms');
    expect(fieldOf(activate({ redundancy: 'yes' }))).to.equal('licence.redundancy');
    expect(fieldOf(activate({ features: null }))).to.equal('licence.features');
    expect(fieldOf(activate({ features: { '': 'x' } }))).to.equal('licence.features');
    expect(fieldOf(activate({ features: { ['k'.repeat(65)]: 'x' } }))).to.equal('licence.features');
    expect(fieldOf(activate({ features: { colour: 'v'.repeat(1025) } }))).to.equal('licence.features.colour');
    expect(fieldOf(activate({ features: { colour: 3 } }))).to.equal('licence.features.colour');
    const manyFeatures = Object.fromEntries(Array.from({ length: 65 }, (_, n) => [`f${n}`, 'x']));
    expect(fieldOf(activate({ features: manyFeatures }))).to.equal('licence.features');
    expect(fieldOf({ type: 'activate_licence', requestId: 'r1' })).to.equal('licence');
  });

  it('names the request id and the top-level fields of an update', () => {
    const update = (changes: unknown) => ({
      type: 'update_licence',
      requestId: 'r1',
      licenceId: 'cad-1',
      changes,
    });
    expect(fieldOf({ ...update({}), requestId: '' })).to.equal('request_id');
    expect(fieldOf({ ...update({}), requestId: undefined })).to.equal('request_id');
    expect(fieldOf({ ...update({}), licenceId: 'a/b' })).to.equal('licence_id');
    expect(fieldOf(update({}))).to.equal(null);
    expect(fieldOf(update({ seats: 0 }))).to.equal('seats');
    expect(fieldOf(update({ product: '' }))).to.equal('product');
    expect(fieldOf(update({ quota: { units: -1, period: 'day' } }))).to.equal('quota.units');
    expect(fieldOf(update({ validFromMs: 1.25 }))).to.equal('valid_from_ms');
    expect(fieldOf(update({ validFromMs: 9, validUntilMs: 3 }))).to.equal('valid_until_ms');
    expect(fieldOf(update({ redundancy: 1 }))).to.equal('redundancy');
    expect(fieldOf(update({ features: [] }))).to.equal('features');
    expect(fieldOf(update(null))).to.equal('changes');
  });

  it('names the fields of lease and usage commands', () => {
    expect(fieldOf({ ...acquire, workstationId: '' })).to.equal('workstation_id');
    expect(fieldOf({ ...acquire, ttlMs: 0 })).to.equal('ttl_ms');
    expect(fieldOf({ ...acquire, ttlMs: 24 * 3_600_000 + 1 })).to.equal('ttl_ms');
    expect(fieldOf({ ...acquire, ttlMs: 10_001 }, { maxTtlMs: 10_000 })).to.equal('ttl_ms');
    expect(fieldOf({ ...acquire, parameters: undefined })).to.equal('parameters');
    expect(fieldOf({ ...acquire, parameters: { ...PARAMETERS, host: 'h'.repeat(257) } })).to.equal(
      'parameters.host',
    );
    expect(
      fieldOf({ ...acquire, parameters: { ...PARAMETERS, host: '', user: '', productVersion: '' } }),
    ).to.equal(null);
    expect(fieldOf({ ...acquire, parameters: { ...PARAMETERS, cores: -1 } })).to.equal('parameters.cores');
    expect(fieldOf({ ...acquire, parameters: { ...PARAMETERS, productVersion: 5 } })).to.equal(
      'parameters.product_version',
    );
    expect(fieldOf({ type: 'renew_lease', requestId: 'r', leaseId: '', ttlMs: 0 })).to.equal('lease_id');
    expect(fieldOf({ type: 'renew_lease', requestId: 'r', leaseId: 'lease-1-1', ttlMs: -5 })).to.equal(
      'ttl_ms',
    );
    expect(fieldOf({ type: 'release_lease', requestId: 'r' })).to.equal('lease_id');
    const report = { type: 'report_usage', requestId: 'r', licenceId: 'l', workstationId: 'w', units: 1 };
    expect(fieldOf({ ...report, units: 0 })).to.equal('units');
    expect(fieldOf({ ...report, units: 1e12 + 1 })).to.equal('units');
    expect(fieldOf({ ...report, units: 2.5 })).to.equal('units');
    expect(fieldOf({ ...report, workstationId: 'w w' })).to.equal('workstation_id');
    const revoke = { type: 'revoke_lease', requestId: 'r', leaseId: 'lease-1-1', reason: 'x'.repeat(513) };
    expect(fieldOf(revoke)).to.equal('reason');
    expect(fieldOf({ type: 'extend_leases', byMs: -1 })).to.equal('by_ms');
    expect(fieldOf({ type: 'extend_leases', byMs: 24 * 3_600_000 + 1 })).to.equal('by_ms');
  });

  it('names the type of a command it does not know', () => {
    expect(validateCommand({ type: 'format_disk' } as unknown as Command)).to.deep.equal({
      field: 'type',
      message: 'unknown command type "format_disk"',
    });
    expect(fieldOf(null)).to.equal('type');
  });
});
