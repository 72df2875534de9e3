// Property tests over random logs: the safety rules hold at every step, and replicas that apply
// the same log (from the start, or from a snapshot) end up identical.
import { expect } from 'chai';
import fc from 'fast-check';
import { decodeEntryData, encodeEntryData } from '../src/codec.js';
import { Ledger } from '../src/ledger.js';
import type { LedgerOptions } from '../src/options.js';
import { DAY_MS } from '../src/period.js';
import type { Command, LedgerEntry, Period, Quota, Result } from '../src/types.js';
import { PARAMETERS } from './helpers.js';

/** Saturday 28 December 2024: random logs cross day, ISO week, month and year boundaries. */
const START_MS = Date.UTC(2024, 11, 28, 20);
const LICENCE_IDS = ['lic-a', 'lic-b', 'lic-c'];
const WORKSTATION_IDS = ['ws-0', 'ws-1', 'ws-2', 'ws-3', 'ws-4'];
const MAX_OPERATIONS = 90;

const OPTIONS: Partial<LedgerOptions> = {
  idempotencyWindowMs: DAY_MS,
  idempotencyMaxEntries: 25,
  maxTtlMs: 5000,
  maxExtendMs: 5000,
};

type RequestChoice = { fresh: true } | { fresh: false; slot: number };

type Operation =
  | { kind: 'activate'; licence: number; seats: number; quota: Quota | null; validUntilDays: number | null }
  | { kind: 'update'; licence: number; seats: number | undefined; quota: Quota | null | undefined }
  | { kind: 'deactivate'; licence: number }
  | { kind: 'acquire'; licence: number; workstation: number; ttlMs: number }
  | { kind: 'renew'; lease: number; ttlMs: number }
  | { kind: 'release'; lease: number }
  | { kind: 'revoke'; lease: number }
  | { kind: 'report'; licence: number; units: number }
  | { kind: 'tick' }
  | { kind: 'extend'; byMs: number };

interface Step {
  operation: Operation;
  request: RequestChoice;
  advanceMs: number;
}

const licenceArbitrary = fc.nat(LICENCE_IDS.length - 1);
const leaseArbitrary = fc.nat(MAX_OPERATIONS);
const quotaArbitrary: fc.Arbitrary<Quota> = fc.record({
  units: fc.integer({ min: 1, max: 30 }),
  period: fc.constantFrom<Period>('day', 'week', 'month'),
});

function activateArbitrary(licence: fc.Arbitrary<number>): fc.Arbitrary<Operation> {
  return fc.record({
    kind: fc.constant('activate' as const),
    licence,
    seats: fc.integer({ min: 1, max: 3 }),
    quota: fc.option(quotaArbitrary, { freq: 3, nil: null }),
    validUntilDays: fc.option(fc.integer({ min: 1, max: 6 }), { freq: 4, nil: null }),
  });
}

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 1, arbitrary: activateArbitrary(licenceArbitrary) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      licence: licenceArbitrary,
      seats: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      quota: fc.option(fc.option(quotaArbitrary), { nil: undefined }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('deactivate' as const), licence: licenceArbitrary }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('acquire' as const),
      licence: licenceArbitrary,
      workstation: fc.nat(WORKSTATION_IDS.length - 1),
      ttlMs: fc.integer({ min: 0, max: 5000 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('renew' as const),
      lease: leaseArbitrary,
      ttlMs: fc.integer({ min: 0, max: 5000 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), lease: leaseArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const), lease: leaseArbitrary }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('report' as const),
      licence: licenceArbitrary,
      units: fc.integer({ min: 0, max: 12 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('extend' as const), byMs: fc.integer({ min: 0, max: 5000 }) }),
  },
);

const stepArbitrary: fc.Arbitrary<Step> = fc.record({
  operation: operationArbitrary,
  request: fc.oneof(
    { weight: 5, arbitrary: fc.constant<RequestChoice>({ fresh: true }) },
    { weight: 1, arbitrary: fc.nat(12).map((slot): RequestChoice => ({ fresh: false, slot })) },
  ),
  advanceMs: fc.oneof(
    { weight: 20, arbitrary: fc.integer({ min: 0, max: 3000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 * DAY_MS }) },
    // The leader's clock may step back after a failover; the ledger clamps it.
    { weight: 1, arbitrary: fc.integer({ min: -2000, max: 0 }) },
  ),
});

/** Logs start by activating two of the three licences, so that most commands find a licence. */
const logArbitrary: fc.Arbitrary<Step[]> = fc
  .tuple(
    activateArbitrary(fc.constant(0)),
    activateArbitrary(fc.constant(1)),
    fc.array(stepArbitrary, { minLength: 1, maxLength: MAX_OPERATIONS - 2, size: 'max' }),
  )
  .map(([first, second, steps]) => [
    { operation: first, request: { fresh: true }, advanceMs: 0 },
    { operation: second, request: { fresh: true }, advanceMs: 0 },
    ...steps,
  ]);

/** A lease reference picks one of the leases granted by earlier acquires (or one never granted). */
function commandOf(operation: Operation, requestId: string, acquireIndexes: readonly number[] = []): Command {
  const leaseId = (choice: number): string =>
    acquireIndexes.length === 0
      ? `lease-${choice}`
      : `lease-${acquireIndexes[choice % acquireIndexes.length]}`;
  switch (operation.kind) {
    case 'activate':
      return {
        type: 'activate_licence',
        requestId,
        licence: {
          licenceId: LICENCE_IDS[operation.licence] as string,
          product: 'Product',
          seats: operation.seats,
          quota: operation.quota,
          validFromMs: 0,
          validUntilMs: operation.validUntilDays === null ? 0 : START_MS + operation.validUntilDays * DAY_MS,
          redundancy: true,
          features: { tier: `t${operation.licence}` },
        },
      };
    case 'update':
      return {
        type: 'update_licence',
        requestId,
        licenceId: LICENCE_IDS[operation.licence] as string,
        changes: {
          ...(operation.seats === undefined ? {} : { seats: operation.seats }),
          ...(operation.quota === undefined ? {} : { quota: operation.quota }),
        },
      };
    case 'deactivate':
      return { type: 'deactivate_licence', requestId, licenceId: LICENCE_IDS[operation.licence] as string };
    case 'acquire':
      return {
        type: 'acquire_lease',
        requestId,
        licenceId: LICENCE_IDS[operation.licence] as string,
        workstationId: WORKSTATION_IDS[operation.workstation] as string,
        parameters: PARAMETERS,
        ttlMs: operation.ttlMs,
      };
    case 'renew':
      return { type: 'renew_lease', requestId, leaseId: leaseId(operation.lease), ttlMs: operation.ttlMs };
    case 'release':
      return { type: 'release_lease', requestId, leaseId: leaseId(operation.lease) };
    case 'revoke':
      return { type: 'revoke_lease', requestId, leaseId: leaseId(operation.lease), reason: 'test' };
    case 'report':
      return {
        type: 'report_usage',
        requestId,
        licenceId: LICENCE_IDS[operation.licence] as string,
        workstationId: 'ws-0',
        units: operation.units,
      };
    case 'tick':
      return { type: 'tick' };
    case 'extend':
      return { type: 'extend_leases', byMs: operation.byMs };
  }
}

/** Turns random steps into a log: increasing indexes (with gaps), leader timestamps, request ids. */
function toEntries(steps: Step[]): LedgerEntry[] {
  let timestampMs = START_MS;
  const acquireIndexes: number[] = [];
  return steps.map((step, position) => {
    timestampMs = Math.max(0, timestampMs + step.advanceMs);
    const requestId = step.request.fresh ? `fresh-${position}` : `reused-${step.request.slot}`;
    // Every fifth entry leaves a gap, as consensus entries that are not ledger commands do.
    const index = position + 1 + Math.floor(position / 5);
    const command = commandOf(step.operation, requestId, acquireIndexes);
    if (command.type === 'acquire_lease') acquireIndexes.push(index);
    return { index, timestampMs, command };
  });
}

function requestIdsOf(entries: LedgerEntry[]): string[] {
  const ids = new Set<string>();
  for (const entry of entries) if ('requestId' in entry.command) ids.add(entry.command.requestId);
  return [...ids].sort();
}

/** Everything a client or operator could read from the ledger. */
function observe(ledger: Ledger, requestIds: string[]) {
  return {
    hash: ledger.stateHash(),
    appliedIndex: ledger.appliedIndex,
    clockMs: ledger.clockMs,
    licences: ledger.listLicences(),
    leases: ledger.listLeases(),
    seats: LICENCE_IDS.map((licenceId) => ledger.seatsInUse(licenceId)),
    usage: LICENCE_IDS.map((licenceId) => ledger.usage(licenceId)),
    current: LICENCE_IDS.map((licenceId) => ledger.currentUsage(licenceId, ledger.clockMs)),
    requests: requestIds.map((requestId) => ledger.lookupRequest(requestId) ?? null),
  };
}

describe('properties over random logs', function () {
  this.timeout(60_000);

  it('never grants a seat beyond the limit, one lease per workstation, quotas honoured', () => {
    fc.assert(
      fc.property(logArbitrary, (steps) => {
        const ledger = new Ledger(OPTIONS);
        const reportedUnits = new Map<string, number>();
        for (const entry of toEntries(steps)) {
          const before = LICENCE_IDS.map((licenceId) => ledger.seatsInUse(licenceId));
          const command = entry.command;
          const remembered = 'requestId' in command ? ledger.lookupRequest(command.requestId) : undefined;
          // What the licence allowed at the moment the report was applied.
          const usageBefore =
            command.type === 'report_usage'
              ? ledger.currentUsage(command.licenceId, Math.max(ledger.clockMs, entry.timestampMs))
              : null;
          const result = ledger.apply(entry);
          // A replay hands back the remembered object itself; anything else was executed now.
          const fresh = remembered === undefined || result !== remembered;

          LICENCE_IDS.forEach((licenceId, position) => {
            const inUse = ledger.seatsInUse(licenceId);
            const seats = ledger.getLicence(licenceId)?.seats ?? 0;
            // Seats may have been lowered by an update, but no step may add a lease beyond them.
            expect(inUse).to.be.at.most(Math.max(seats, before[position] ?? 0));
            const leases = ledger.listLeases(licenceId);
            expect(leases).to.have.length(inUse);
            const workstations = new Set(leases.map((lease) => lease.workstationId));
            expect(workstations.size).to.equal(leases.length);
            if (ledger.getLicence(licenceId)?.status === 'deactivated') expect(inUse).to.equal(0);
          });
          expect(ledger.leaseCount()).to.equal(ledger.listLeases().length);

          if (command.type === 'acquire_lease' && fresh && result.ok && result.outcome.kind === 'lease') {
            const licence = ledger.getLicence(command.licenceId);
            if (result.outcome.lease.leaseId === `lease-${entry.index}`) {
              expect(ledger.seatsInUse(command.licenceId)).to.be.at.most(licence?.seats ?? 0);
            }
          }

          if (command.type === 'report_usage' && fresh) {
            const licence = ledger.getLicence(command.licenceId);
            const quota = licence?.quota ?? null;
            if (result.ok && result.outcome.kind === 'usage') {
              const total = (reportedUnits.get(command.licenceId) ?? 0) + command.units;
              reportedUnits.set(command.licenceId, total);
              expect(result.outcome.used).to.equal((usageBefore?.used ?? 0) + command.units);
              if (quota !== null) {
                expect(result.outcome.used).to.be.at.most(quota.units);
                expect(result.outcome.remaining).to.equal(quota.units - result.outcome.used);
              } else {
                expect(result.outcome.remaining).to.equal(null);
              }
            } else if (!result.ok && result.reason === 'quota_exhausted') {
              // Refused only when it really would have gone over.
              expect(quota).to.not.equal(null);
              expect((usageBefore?.used ?? 0) + command.units).to.be.greaterThan(quota?.units ?? 0);
            }
          }
          // Usage history is far from its bound here, so nothing accepted is ever dropped.
          for (const licenceId of LICENCE_IDS) {
            const recorded = ledger.usage(licenceId).reduce((sum, period) => sum + period.used, 0);
            expect(recorded).to.equal(reportedUnits.get(licenceId) ?? 0);
          }
        }
      }),
      { numRuns: 250 },
    );
  });

  it('gives equal hashes to replicas that apply the same log, through the entry codec', () => {
    fc.assert(
      fc.property(logArbitrary, (steps) => {
        const first = new Ledger(OPTIONS);
        const second = new Ledger(OPTIONS);
        for (const entry of toEntries(steps)) {
          const decoded = decodeEntryData(
            encodeEntryData({ timestampMs: entry.timestampMs, command: entry.command }),
          );
          const firstResult = first.apply(entry);
          const secondResult = second.apply({ index: entry.index, ...decoded });
          expect(secondResult).to.deep.equal(firstResult);
          expect(second.stateHash()).to.equal(first.stateHash());
        }
      }),
      { numRuns: 400 },
    );
  });

  it('continues from a snapshot taken at any point exactly as a full replay does', () => {
    fc.assert(
      fc.property(logArbitrary, fc.nat(), (steps, cutChoice) => {
        const entries = toEntries(steps);
        const cut = cutChoice % (entries.length + 1);
        const requestIds = requestIdsOf(entries);

        const full = new Ledger(OPTIONS);
        const fullResults: Result[] = entries.map((entry) => full.apply(entry));

        const prefix = new Ledger(OPTIONS);
        for (const entry of entries.slice(0, cut)) prefix.apply(entry);
        const restored = Ledger.restore(prefix.snapshot(), OPTIONS);
        expect(observe(restored, requestIds)).to.deep.equal(observe(prefix, requestIds));
        const tailResults = entries.slice(cut).map((entry) => restored.apply(entry));

        expect(tailResults).to.deep.equal(fullResults.slice(cut));
        expect(observe(restored, requestIds)).to.deep.equal(observe(full, requestIds));
        expect(restored.snapshot()).to.deep.equal(full.snapshot());
      }),
      { numRuns: 400 },
    );
  });

  it('answers a replayed request id with the identical first result and changes nothing', () => {
    fc.assert(
      fc.property(logArbitrary, fc.nat(), operationArbitrary, (steps, choice, otherOperation) => {
        const entries = toEntries(steps);
        const ledger = new Ledger(OPTIONS);
        for (const entry of entries) ledger.apply(entry);
        const remembered = requestIdsOf(entries).filter((id) => ledger.lookupRequest(id) !== undefined);
        fc.pre(remembered.length > 0);
        const requestId = remembered[choice % remembered.length] as string;
        const first = ledger.lookupRequest(requestId);
        const hash = ledger.stateHash();
        const last = entries[entries.length - 1] as LedgerEntry;
        // A retry of the original command, then a different command under the same id.
        const original = entries.find(
          (entry) => 'requestId' in entry.command && entry.command.requestId === requestId,
        );
        const retries: Command[] = [
          (original as LedgerEntry).command,
          otherOperation.kind === 'tick' || otherOperation.kind === 'extend'
            ? { type: 'release_lease', requestId, leaseId: 'lease-1' }
            : commandOf(otherOperation, requestId),
        ];
        retries.forEach((command, offset) => {
          const result = ledger.apply({
            index: last.index + 1 + offset,
            timestampMs: ledger.clockMs,
            command,
          });
          expect(result).to.deep.equal(first);
          expect(ledger.stateHash()).to.equal(hash);
        });
      }),
      { numRuns: 400 },
    );
  });
});
