import { expect } from 'chai';
import type { Command, LicenceSpec } from '../src/types.js';
import { checkWithinGrant, hasUnprintable, validateCommand } from '../src/validate.js';
import { ACTOR, licenceFile, licenceSpec, PARAMETERS } from './helpers.js';

/** The terms of a licence, checked field by field (an unsigned activation names them under licence.). */
function activate(overrides: Partial<LicenceSpec> | Record<string, unknown>): Command {
  return {
    type: 'legacy_activate_licence',
    requestId: 'r1',
    licence: { ...licenceSpec(), ...overrides } as LicenceSpec,
  };
}

function activateFile(licenceFileText: unknown): unknown {
  return { type: 'activate_licence', requestId: 'r1', licenceFile: licenceFileText, actor: ACTOR };
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
  nonce: '0123456789abcdef',
};

describe('validateCommand', () => {
  it('accepts well-formed commands of every type', () => {
    const commands: Command[] = [
      activate({ quota: { units: 100, period: 'week' }, validFromMs: 5, validUntilMs: 6 }),
      activateFile(licenceFile({ quota: { units: 100, period: 'week' } })) as Command,
      {
        type: 'update_licence',
        requestId: 'r1',
        licenceId: 'cad-1',
        licenceFile: null,
        changes: { seats: 4, quota: null },
        actor: ACTOR,
      },
      {
        type: 'update_licence',
        requestId: 'r1',
        licenceId: 'cad-1',
        licenceFile: licenceFile({}, { serial: 2 }),
        changes: {},
        actor: ACTOR,
      },
      { type: 'legacy_update_licence', requestId: 'r1', licenceId: 'cad-1', changes: { seats: 4 } },
      { type: 'deactivate_licence', requestId: 'r1', licenceId: 'cad-1', actor: ACTOR },
      { type: 'deactivate_licence', requestId: 'r1', licenceId: 'cad-1', actor: null },
      { ...acquire, nonce: '' } as Command,
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
      { type: 'revoke_lease', requestId: 'r1', leaseId: 'lease-1-7', reason: '', actor: ACTOR },
      { type: 'audit_note', requestId: 'r1', action: 'snapshot', detail: '', actor: ACTOR },
      { type: 'tick' },
      { type: 'extend_leases', byMs: 0 },
      { type: 'set_cluster_id', clusterId: '8a6e0804-2bd0-4672-b79d-d97027f9071a' },
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
    expect(fieldOf({ type: 'legacy_activate_licence', requestId: 'r1' })).to.equal('licence');
  });

  it('names licence_file for a file that does not read or whose terms are out of range', () => {
    const problemOf = (text: unknown) => validateCommand(activateFile(text) as Command);
    expect(problemOf(undefined)?.field).to.equal('licence_file');
    expect(problemOf('')?.message).to.match(/empty/);
    expect(problemOf('{')?.message).to.match(/not JSON/);
    expect(problemOf(JSON.stringify({ format: 'tandem-licence', version: 2 }))?.message).to.match(
      /version 2/,
    );
    const file = JSON.parse(licenceFile()) as Record<string, unknown>;
    const variant = (changes: Record<string, unknown>) => JSON.stringify({ ...file, ...changes });
    expect(problemOf(variant({ keyId: 'a b' }))?.message).to.match(/keyId/);
    expect(problemOf(variant({ payload: 'not base64!' }))?.message).to.match(/payload: must be base64/);
    expect(problemOf(variant({ payload: 'e30' }))?.message).to.match(/payload: must be base64/);
    expect(problemOf(variant({ signature: 'AAAA' }))?.message).to.match(/signature/);
    expect(problemOf(variant({ extra: 1 }))?.message).to.match(/unknown member "extra"/);
    const payload = (value: unknown) =>
      variant({ payload: Buffer.from(JSON.stringify(value)).toString('base64') });
    const terms = JSON.parse(Buffer.from(file.payload as string, 'base64').toString()) as Record<
      string,
      unknown
    >;
    expect(problemOf(payload({ ...terms, seats: '3' }))?.message).to.match(/payload seats: must be a number/);
    expect(problemOf(payload({ ...terms, grace: 1 }))?.message).to.match(/unknown member "grace"/);
    expect(problemOf(payload({ ...terms, seats: 0 }))?.message).to.equal(
      'seats: must be an integer in 1..1000000',
    );
    expect(problemOf(payload({ ...terms, serial: 0 }))?.message).to.match(/^serial:/);
    expect(problemOf(payload({ ...terms, vendor: '' }))?.message).to.match(/^vendor:/);
    expect(problemOf(payload({ ...terms, clusterId: 'a b' }))?.message).to.match(/^cluster_id:/);
    expect(problemOf(payload({ ...terms, product: 'P\u0007' }))?.message).to.match(
      /^product: must not contain control/,
    );
    expect(problemOf(licenceFile())).to.equal(null);
  });

  it('refuses control characters, U+FFFD and lone surrogates in free text, naming the field', () => {
    for (const text of [
      'a\u0000b',
      'tab\there',
      'new\nline',
      'del\u007f',
      'c1\u009b',
      'bad\ufffd',
      'lone\ud800',
      'lone\udc00x',
    ]) {
      expect(hasUnprintable(text), JSON.stringify(text)).to.equal(true);
      expect(fieldOf({ ...acquire, parameters: { ...PARAMETERS, host: text } })).to.equal('parameters.host');
      expect(fieldOf({ ...acquire, parameters: { ...PARAMETERS, user: text } })).to.equal('parameters.user');
      expect(fieldOf({ ...acquire, parameters: { ...PARAMETERS, productVersion: text } })).to.equal(
        'parameters.product_version',
      );
      expect(fieldOf(activate({ product: text }))).to.equal('licence.product');
      expect(fieldOf(activate({ features: { [text]: 'v' } }))).to.equal('licence.features');
      expect(fieldOf(activate({ features: { k: text } }))).to.equal('licence.features.k');
      expect(
        fieldOf({ type: 'revoke_lease', requestId: 'r', leaseId: 'lease-1-1', reason: text, actor: ACTOR }),
      ).to.equal('reason');
    }
    for (const text of ['plain', 'Zürich — 東京 🚀', '']) expect(hasUnprintable(text)).to.equal(false);
  });

  it('checks the actor of audited commands, and null only as written before the audit trail', () => {
    const deactivate = { type: 'deactivate_licence', requestId: 'r', licenceId: 'l' };
    expect(fieldOf({ ...deactivate, actor: { ...ACTOR, name: '' } })).to.equal('actor.name');
    expect(fieldOf({ ...deactivate, actor: { ...ACTOR, role: 'x'.repeat(33) } })).to.equal('actor.role');
    expect(fieldOf({ ...deactivate, actor: { ...ACTOR, from: 'a\nb' } })).to.equal('actor.from');
    expect(fieldOf({ ...deactivate, actor: 'alice' })).to.equal('actor');
    const note = { type: 'audit_note', requestId: 'r', action: 'snapshot', detail: '', actor: ACTOR };
    expect(fieldOf({ ...note, actor: null })).to.equal('actor');
    expect(fieldOf({ ...note, action: 'reboot' })).to.equal('action');
    expect(fieldOf({ ...note, detail: 'd'.repeat(513) })).to.equal('detail');
    expect(fieldOf({ type: 'set_cluster_id', clusterId: '' })).to.equal('cluster_id');
  });

  it('tells an operator change within the signed terms from one beyond them', () => {
    const limits = licenceSpec({
      seats: 10,
      quota: { units: 100, period: 'day' },
      validFromMs: 1000,
      validUntilMs: 5000,
      redundancy: false,
    });
    expect(
      checkWithinGrant({ seats: 10, quota: { units: 1, period: 'day' }, validFromMs: 1000 }, limits),
    ).to.equal(null);
    expect(checkWithinGrant({ validUntilMs: 4000, redundancy: false }, limits)).to.equal(null);
    expect(checkWithinGrant({ seats: 11 }, limits)?.field).to.equal('seats');
    expect(checkWithinGrant({ quota: null }, limits)?.field).to.equal('quota');
    expect(checkWithinGrant({ validFromMs: 999 }, limits)?.field).to.equal('valid_from_ms');
    expect(checkWithinGrant({ validUntilMs: 0 }, limits)?.field).to.equal('valid_until_ms');
    expect(checkWithinGrant({ redundancy: true }, limits)?.field).to.equal('redundancy');
    expect(checkWithinGrant({ features: { edition: 'pro', extra: 'x' } }, limits)?.field).to.equal(
      'features',
    );
    expect(checkWithinGrant({ product: 'Other' }, limits)?.field).to.equal('product');
  });

  it('names the request id and the top-level fields of an update', () => {
    const update = (changes: unknown) => ({
      type: 'update_licence',
      requestId: 'r1',
      licenceId: 'cad-1',
      licenceFile: null,
      changes,
      actor: ACTOR,
    });
    expect(fieldOf({ ...update({}), requestId: '' })).to.equal('request_id');
    expect(fieldOf({ ...update({}), requestId: undefined })).to.equal('request_id');
    expect(fieldOf({ ...update({}), licenceId: 'a/b' })).to.equal('licence_id');
    expect(fieldOf(update({}))).to.equal('changes');
    expect(fieldOf(update({ seats: 1 }))).to.equal(null);
    expect(fieldOf(update({ seats: 1, grace: 2 }))).to.equal('changes');
    expect(fieldOf({ ...update({ seats: 1 }), licenceFile: licenceFile() })).to.equal('seats');
    expect(fieldOf({ ...update({}), licenceFile: 'garbage' })).to.equal('licence_file');
    expect(fieldOf({ ...update({}), licenceFile: undefined })).to.equal('licence_file');
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
    const revoke = {
      type: 'revoke_lease',
      requestId: 'r',
      leaseId: 'lease-1-1',
      reason: 'x'.repeat(513),
      actor: ACTOR,
    };
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
