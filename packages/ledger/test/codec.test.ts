import assert from 'node:assert/strict';
import { expect } from 'chai';
import { decodeEntryData, ENTRY_DATA_MAX_BYTES, encodeEntryData } from '../src/codec.js';
import { LedgerDataError } from '../src/errors.js';
import type { Command } from '../src/types.js';
import { ACTOR, licenceFile, licenceSpec, PARAMETERS } from './helpers.js';

const encoder = new TextEncoder();

function bytesOf(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

function expectDecodeError(bytes: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    decodeEntryData(bytes);
  } catch (error) {
    caught = error;
  }
  expect(caught).to.be.instanceOf(LedgerDataError);
  const error = caught as LedgerDataError;
  expect(error.code).to.equal('ENTRY_DECODE_FAILED');
  expect(error.retryable).to.equal(false);
  expect(error.message).to.match(pattern);
}

const COMMANDS: Command[] = [
  {
    type: 'activate_licence',
    requestId: 'r1',
    licenceFile: licenceFile({ quota: { units: 9, period: 'month' } }),
    actor: ACTOR,
  },
  {
    type: 'update_licence',
    requestId: 'r2',
    licenceId: 'cad-1',
    licenceFile: null,
    changes: { seats: 3, quota: null, features: { a: 'b' }, validFromMs: 1, validUntilMs: 2, product: 'p' },
    actor: ACTOR,
  },
  {
    type: 'update_licence',
    requestId: 'r2b',
    licenceId: 'cad-1',
    licenceFile: licenceFile({}, { serial: 2 }),
    changes: {},
    actor: ACTOR,
  },
  { type: 'deactivate_licence', requestId: 'r3', licenceId: 'cad-1', actor: ACTOR },
  {
    type: 'acquire_lease',
    requestId: 'r4',
    licenceId: 'cad-1',
    workstationId: 'w',
    parameters: PARAMETERS,
    ttlMs: 5,
    nonce: '0123456789abcdef',
  },
  { type: 'renew_lease', requestId: 'r5', leaseId: 'lease-3-4-0123456789abcdef', ttlMs: 0 },
  { type: 'release_lease', requestId: 'r6', leaseId: 'lease-3-4' },
  { type: 'report_usage', requestId: 'r7', licenceId: 'cad-1', workstationId: 'w', units: 12 },
  { type: 'revoke_lease', requestId: 'r8', leaseId: 'lease-3-4', reason: 'stolen laptop', actor: ACTOR },
  { type: 'audit_note', requestId: 'r9', action: 'transfer_leadership', detail: 'to backup', actor: ACTOR },
  { type: 'tick' },
  { type: 'extend_leases', byMs: 1500 },
  { type: 'set_cluster_id', clusterId: '8a6e0804-2bd0-4672-b79d-d97027f9071a' },
];

describe('codec', () => {
  it('round-trips every command type', () => {
    for (const command of COMMANDS) {
      const decoded = decodeEntryData(encodeEntryData({ timestampMs: 1234, command }));
      expect(decoded).to.deep.equal({ timestampMs: 1234, command });
    }
  });

  it('drops members the command type does not have', () => {
    const bytes = bytesOf({ v: 2, timestampMs: 1, command: { type: 'tick', sneaky: true } });
    expect(decodeEntryData(bytes)).to.deep.equal({ timestampMs: 1, command: { type: 'tick' } });
  });

  it('reads entries of format 1 as they were written: unsigned licence commands, no actor, no nonce', () => {
    const read = (command: unknown) => decodeEntryData(bytesOf({ v: 1, timestampMs: 1, command })).command;
    expect(read({ type: 'activate_licence', requestId: 'r', licence: licenceSpec() })).to.deep.equal({
      type: 'legacy_activate_licence',
      requestId: 'r',
      licence: licenceSpec(),
    });
    expect(
      read({ type: 'update_licence', requestId: 'r', licenceId: 'cad-1', changes: { seats: 9 } }),
    ).to.deep.equal({
      type: 'legacy_update_licence',
      requestId: 'r',
      licenceId: 'cad-1',
      changes: { seats: 9 },
    });
    expect(read({ type: 'deactivate_licence', requestId: 'r', licenceId: 'cad-1' })).to.deep.equal({
      type: 'deactivate_licence',
      requestId: 'r',
      licenceId: 'cad-1',
      actor: null,
    });
    const acquire = {
      type: 'acquire_lease',
      requestId: 'r',
      licenceId: 'l',
      workstationId: 'w',
      parameters: PARAMETERS,
      ttlMs: 1,
    };
    expect(read(acquire)).to.deep.equal({ ...acquire, nonce: '' });
    // A merge of format 1 carries commands of format 1.
    const merge = read({
      type: 'merge',
      sourceNodeId: 'backup',
      sourceTerms: [2],
      entries: [
        {
          index: 3,
          term: 2,
          timestampMs: 1,
          command: { type: 'activate_licence', requestId: 'r', licence: licenceSpec() },
        },
      ],
    });
    if (merge.type !== 'merge') assert.fail('wrong type');
    expect(merge.entries[0]?.command.type).to.equal('legacy_activate_licence');
  });

  it('refuses the legacy commands in entries of format 2', () => {
    expectDecodeError(
      bytesOf({
        v: 2,
        timestampMs: 1,
        command: { type: 'legacy_activate_licence', requestId: 'r', licence: licenceSpec() },
      }),
      /\$\.command\.type/,
    );
    expectDecodeError(
      bytesOf({
        v: 2,
        timestampMs: 1,
        command: { type: 'activate_licence', requestId: 'r', licence: licenceSpec() },
      }),
      /\$\.command\.licenceFile: expected a string/,
    );
  });

  it('keeps a __proto__ feature key as plain data', () => {
    const text = `{"v":1,"timestampMs":1,"command":{"type":"activate_licence","requestId":"r","licence":${JSON.stringify(
      licenceSpec(),
    ).replace('"features":{"edition":"pro"}', '"features":{"__proto__":"x"}')}}}`;
    const decoded = decodeEntryData(encoder.encode(text));
    if (decoded.command.type !== 'legacy_activate_licence') assert.fail('wrong type');
    expect(Object.getPrototypeOf(decoded.command.licence.features)).to.equal(Object.prototype);
    expect(Object.keys(decoded.command.licence.features)).to.deep.equal(['__proto__']);
  });

  it('refuses bytes that are not UTF-8 JSON', () => {
    expectDecodeError(encoder.encode('{"v":1,'), /not UTF-8 JSON/);
    expectDecodeError(new Uint8Array([0xff, 0xfe, 0x7b]), /not UTF-8 JSON/);
    expectDecodeError(new Uint8Array(), /not UTF-8 JSON/);
  });

  it('refuses a wrong root, version or timestamp', () => {
    expectDecodeError(bytesOf([1, 2]), /\$: expected an object/);
    expectDecodeError(bytesOf({ v: 3, timestampMs: 1, command: { type: 'tick' } }), /\$\.v: unsupported/);
    expectDecodeError(bytesOf({ v: 1, timestampMs: '1', command: { type: 'tick' } }), /\$\.timestampMs/);
  });

  it('names the path of a bad command field', () => {
    expectDecodeError(bytesOf({ v: 1, timestampMs: 1, command: { type: 'launch' } }), /\$\.command\.type/);
    expectDecodeError(bytesOf({ v: 1, timestampMs: 1, command: 'tick' }), /\$\.command: expected an object/);
    expectDecodeError(
      bytesOf({ v: 1, timestampMs: 1, command: { type: 'release_lease', requestId: 'r' } }),
      /\$\.command\.leaseId: expected a string/,
    );
    expectDecodeError(
      bytesOf({
        v: 1,
        timestampMs: 1,
        command: { type: 'activate_licence', requestId: 'r', licence: { ...licenceSpec(), seats: null } },
      }),
      /\$\.command\.licence\.seats: expected a finite number/,
    );
    expectDecodeError(
      bytesOf({
        v: 1,
        timestampMs: 1,
        command: { type: 'acquire_lease', requestId: 'r', licenceId: 'l', workstationId: 'w', ttlMs: 1 },
      }),
      /\$\.command\.parameters: expected an object/,
    );
  });

  it('refuses entry data over the size limit without parsing it', () => {
    expectDecodeError(new Uint8Array(ENTRY_DATA_MAX_BYTES + 1), /exceeds/);
  });
});
