import assert from 'node:assert/strict';
import { expect } from 'chai';
import { decodeEntryData, ENTRY_DATA_MAX_BYTES, encodeEntryData } from '../src/codec.js';
import { LedgerDataError } from '../src/errors.js';
import type { Command } from '../src/types.js';
import { licenceSpec, PARAMETERS } from './helpers.js';

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
    licence: licenceSpec({ quota: { units: 9, period: 'month' } }),
  },
  {
    type: 'update_licence',
    requestId: 'r2',
    licenceId: 'cad-1',
    changes: { seats: 3, quota: null, features: { a: 'b' }, validFromMs: 1, validUntilMs: 2, product: 'p' },
  },
  { type: 'update_licence', requestId: 'r2b', licenceId: 'cad-1', changes: {} },
  { type: 'deactivate_licence', requestId: 'r3', licenceId: 'cad-1' },
  {
    type: 'acquire_lease',
    requestId: 'r4',
    licenceId: 'cad-1',
    workstationId: 'w',
    parameters: PARAMETERS,
    ttlMs: 5,
  },
  { type: 'renew_lease', requestId: 'r5', leaseId: 'lease-3-4', ttlMs: 0 },
  { type: 'release_lease', requestId: 'r6', leaseId: 'lease-3-4' },
  { type: 'report_usage', requestId: 'r7', licenceId: 'cad-1', workstationId: 'w', units: 12 },
  { type: 'revoke_lease', requestId: 'r8', leaseId: 'lease-3-4', reason: 'stolen laptop' },
  { type: 'tick' },
  { type: 'extend_leases', byMs: 1500 },
];

describe('codec', () => {
  it('round-trips every command type', () => {
    for (const command of COMMANDS) {
      const decoded = decodeEntryData(encodeEntryData({ timestampMs: 1234, command }));
      expect(decoded).to.deep.equal({ timestampMs: 1234, command });
    }
  });

  it('drops members the command type does not have', () => {
    const bytes = bytesOf({ v: 1, timestampMs: 1, command: { type: 'tick', sneaky: true } });
    expect(decodeEntryData(bytes)).to.deep.equal({ timestampMs: 1, command: { type: 'tick' } });
  });

  it('keeps a __proto__ feature key as plain data', () => {
    const text = `{"v":1,"timestampMs":1,"command":{"type":"activate_licence","requestId":"r","licence":${JSON.stringify(
      licenceSpec(),
    ).replace('"features":{"edition":"pro"}', '"features":{"__proto__":"x"}')}}}`;
    const decoded = decodeEntryData(encoder.encode(text));
    if (decoded.command.type !== 'activate_licence') assert.fail('wrong type');
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
    expectDecodeError(bytesOf({ v: 2, timestampMs: 1, command: { type: 'tick' } }), /\$\.v: unsupported/);
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
