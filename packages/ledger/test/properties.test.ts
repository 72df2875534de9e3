// Property tests over random logs: the safety rules hold at every step, and replicas that apply
// the same log (from the start, or from a snapshot) end up identical.
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'chai';
import fc from 'fast-check';
import { decodeEntryData, encodeEntryData } from '../src/codec.js';
import { Ledger } from '../src/ledger.js';
import { mergedEntryFrom, planMerge } from '../src/merge.js';
import type { LedgerOptions } from '../src/options.js';
import { DAY_MS } from '../src/period.js';
import type { Command, LedgerEntry, Period, Quota, Result } from '../src/types.js';
import {
  ACTOR,
  activateCommand,
  clusteredLedger,
  expectSameAnswer,
  PARAMETERS,
  updateCommand,
} from './helpers.js';

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
  | { kind: 'extend'; byMs: number }
  /** A release or renewal of a lease the other side of the split granted (pair mode's intent). */
  | { kind: 'intent'; lease: number; release: boolean; ttlMs: number; holder: boolean; workstation: number };

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
function commandOf(
  operation: Operation,
  requestId: string,
  acquiredLeaseIds: readonly string[] = [],
  otherSide: ReadonlyMap<string, string> = new Map(),
): Command {
  const leaseId = (choice: number): string =>
    acquiredLeaseIds.length === 0
      ? `lease-1-${choice}`
      : (acquiredLeaseIds[choice % acquiredLeaseIds.length] as string);
  switch (operation.kind) {
    case 'activate':
      return activateCommand(
        {
          licenceId: LICENCE_IDS[operation.licence] as string,
          product: 'Product',
          seats: operation.seats,
          quota: operation.quota,
          validFromMs: 0,
          validUntilMs: operation.validUntilDays === null ? 0 : START_MS + operation.validUntilDays * DAY_MS,
          redundancy: true,
          features: { tier: `t${operation.licence}` },
        },
        requestId,
      );
    case 'update':
      return updateCommand(
        LICENCE_IDS[operation.licence] as string,
        {
          ...(operation.seats === undefined ? {} : { seats: operation.seats }),
          ...(operation.quota === undefined ? {} : { quota: operation.quota }),
        },
        requestId,
      );
    case 'deactivate':
      return {
        type: 'deactivate_licence',
        requestId,
        licenceId: LICENCE_IDS[operation.licence] as string,
        actor: ACTOR,
      };
    case 'acquire':
      return {
        type: 'acquire_lease',
        requestId,
        licenceId: LICENCE_IDS[operation.licence] as string,
        workstationId: WORKSTATION_IDS[operation.workstation] as string,
        parameters: PARAMETERS,
        ttlMs: operation.ttlMs,
        nonce: '',
      };
    case 'renew':
      return { type: 'renew_lease', requestId, leaseId: leaseId(operation.lease), ttlMs: operation.ttlMs };
    case 'release':
      return { type: 'release_lease', requestId, leaseId: leaseId(operation.lease) };
    case 'revoke':
      return {
        type: 'revoke_lease',
        requestId,
        leaseId: leaseId(operation.lease),
        reason: 'test',
        actor: ACTOR,
      };
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
    case 'intent': {
      // Aimed at the other side's leases (by the workstation that holds it, mostly).
      const ids = [...otherSide.keys()];
      const target =
        ids.length === 0 ? leaseId(operation.lease) : (ids[operation.lease % ids.length] as string);
      const holder = otherSide.get(target);
      return {
        type: 'lease_intent',
        requestId,
        leaseId: target,
        workstationId:
          operation.holder && holder !== undefined
            ? holder
            : (WORKSTATION_IDS[operation.workstation] as string),
        action: operation.release ? 'release' : 'renew',
        ttlMs: operation.release ? 0 : operation.ttlMs,
      };
    }
  }
}

/**
 * Turns random steps into a log: increasing indexes (with gaps), terms that step up now and then,
 * leader timestamps, request ids.
 */
function toEntries(steps: Step[]): LedgerEntry[] {
  let timestampMs = START_MS;
  const acquiredLeaseIds: string[] = [];
  return steps.map((step, position) => {
    timestampMs = Math.max(0, timestampMs + step.advanceMs);
    const requestId = step.request.fresh ? `fresh-${position}` : `reused-${step.request.slot}`;
    // Every fifth entry leaves a gap, as consensus entries that are not ledger commands do.
    const index = position + 1 + Math.floor(position / 5);
    const term = 1 + Math.floor(position / 17);
    const command = commandOf(step.operation, requestId, acquiredLeaseIds);
    if (command.type === 'acquire_lease') acquiredLeaseIds.push(`lease-${term}-${index}`);
    return { index, term, timestampMs, command };
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
        const ledger = clusteredLedger(OPTIONS);
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
          // A replay is answered with the remembered result; anything else was executed now (the
          // request may also have been forgotten as the entry moved the clock on). The book rebuilds a
          // remembered answer from its columns, so a replay is an equal object, not the same one:
          // telling them apart by identity counted a replayed report twice, in about one run in ten.
          const fresh = remembered === undefined || !isDeepStrictEqual(result, remembered);

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
            if (result.outcome.lease.leaseId === `lease-${entry.term}-${entry.index}`) {
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
        const first = clusteredLedger(OPTIONS);
        const second = clusteredLedger(OPTIONS);
        for (const entry of toEntries(steps)) {
          const decoded = decodeEntryData(
            encodeEntryData({ timestampMs: entry.timestampMs, command: entry.command }),
          );
          const firstResult = first.apply(entry);
          const secondResult = second.apply({ index: entry.index, term: entry.term, ...decoded });
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

        const full = clusteredLedger(OPTIONS);
        const fullResults: Result[] = entries.map((entry) => full.apply(entry));

        const prefix = clusteredLedger(OPTIONS);
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

  it('answers a replayed request id with the first result (or refuses it as reused) and changes nothing', () => {
    fc.assert(
      fc.property(logArbitrary, fc.nat(), operationArbitrary, (steps, choice, otherOperation) => {
        const entries = toEntries(steps);
        const ledger = clusteredLedger(OPTIONS);
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
            ? { type: 'release_lease', requestId, leaseId: 'lease-1-1' }
            : commandOf(otherOperation, requestId),
        ];
        retries.forEach((command, offset) => {
          // The same request gets its first result; another one under the same id is refused.
          const reused = ledger.isRequestIdReused(command);
          const result = ledger.apply({
            index: last.index + 1 + offset,
            term: last.term,
            timestampMs: ledger.clockMs,
            command,
          });
          if (reused) expect(result).to.deep.include({ ok: false, reason: 'request_id_reused' });
          else expectSameAnswer(result, first);
          expect(ledger.stateHash()).to.equal(hash);
          expectSameAnswer(ledger.lookupRequest(requestId), first);
        });
      }),
      { numRuns: 400 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Split brain: a shared history, then main and backup each lead alone, then the main merges the
// backup's solo entries.

const MAIN_TERM = 3;
const BACKUP_TERM = 2;
/** A window long enough that nothing in a generated history is forgotten. */
const MERGE_OPTIONS: Partial<LedgerOptions> = {
  ...OPTIONS,
  idempotencyWindowMs: 1000 * DAY_MS,
  idempotencyMaxEntries: 100_000,
};

/** Solo stretches lean towards new leases and usage, which is what can go over a limit. */
const soloStepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 1, arbitrary: stepArbitrary },
  {
    weight: 2,
    arbitrary: fc.record({
      operation: fc.oneof(
        fc.record({
          kind: fc.constant('acquire' as const),
          licence: licenceArbitrary,
          workstation: fc.nat(WORKSTATION_IDS.length - 1),
          ttlMs: fc.integer({ min: 1000, max: 5000 }),
        }),
        fc.record({
          kind: fc.constant('report' as const),
          licence: licenceArbitrary,
          units: fc.integer({ min: 1, max: 12 }),
        }),
        fc.record({
          kind: fc.constant('intent' as const),
          lease: leaseArbitrary,
          release: fc.boolean(),
          ttlMs: fc.integer({ min: 0, max: 5000 }),
          holder: fc.boolean(),
          workstation: fc.nat(WORKSTATION_IDS.length - 1),
        }),
      ),
      request: fc.constant<RequestChoice>({ fresh: true }),
      advanceMs: fc.integer({ min: 0, max: 200 }),
    }),
  },
);

const splitArbitrary = fc.record({
  /** A long shared history, or just the two activations and a few steps. */
  common: fc.oneof(
    logArbitrary,
    logArbitrary.map((steps) => steps.slice(0, 2 + (steps.length % 6))),
  ),
  mainSteps: fc.array(soloStepArbitrary, { maxLength: 40 }),
  backupSteps: fc.array(soloStepArbitrary, { maxLength: 40 }),
  /** When the main proposes the merge, after its own last entry (negative: its clock went back). */
  mergeDelayMs: fc.integer({ min: -5000, max: 60_000 }),
});

interface LogStart {
  index: number;
  term: number;
  timestampMs: number;
  /** Fresh request ids are `<prefix>-<position>`; reused ones are shared by every side. */
  prefix: string;
}

/**
 * holders: the leases each acquire asks for, by id, with the workstation (filled in); otherSide:
 * the other side's, for intents.
 */
function sideEntries(
  steps: Step[],
  start: LogStart,
  acquiredLeaseIds: string[],
  holders: Map<string, string> = new Map(),
  otherSide: ReadonlyMap<string, string> = new Map(),
): LedgerEntry[] {
  let timestampMs = start.timestampMs;
  return steps.map((step, position) => {
    timestampMs = Math.max(0, timestampMs + step.advanceMs);
    const requestId = step.request.fresh ? `${start.prefix}-${position}` : `reused-${step.request.slot}`;
    const index = start.index + position;
    const command = commandOf(step.operation, requestId, acquiredLeaseIds, otherSide);
    if (command.type === 'acquire_lease') {
      acquiredLeaseIds.push(`lease-${start.term}-${index}`);
      holders.set(`lease-${start.term}-${index}`, command.workstationId);
    }
    return { index, term: start.term, timestampMs, command };
  });
}

function totalUnits(ledger: Ledger): number {
  let total = 0;
  for (const licenceId of LICENCE_IDS) for (const period of ledger.usage(licenceId)) total += period.used;
  return total;
}

/** What a licence is over its limits by (0 when within them), with usage counted at atMs. */
function excessOf(ledger: Ledger, licenceId: string, atMs: number): { seats: number; usage: number } {
  const licence = ledger.getLicence(licenceId);
  if (licence === undefined) return { seats: 0, usage: 0 };
  const used = ledger.currentUsage(licenceId, atMs)?.used ?? 0;
  return {
    seats: Math.max(0, ledger.seatsInUse(licenceId) - licence.seats),
    usage: licence.quota === null ? 0 : Math.max(0, used - licence.quota.units),
  };
}

describe('properties of a merge after a split brain', function () {
  this.timeout(120_000);

  it('knows every acknowledged request id, keeps lease ids, covers every excess it causes, and merges once', () => {
    fc.assert(
      fc.property(splitArbitrary, ({ common, mainSteps, backupSteps, mergeDelayMs }) => {
        const main = clusteredLedger(MERGE_OPTIONS);
        const backup = clusteredLedger(MERGE_OPTIONS);
        const sharedLeaseIds: string[] = [];
        const shared = sideEntries(
          common,
          { index: 1, term: 1, timestampMs: START_MS, prefix: 'c' },
          sharedLeaseIds,
        );
        for (const entry of shared) {
          expect(backup.apply(entry)).to.deep.equal(main.apply(entry));
        }
        const last = shared[shared.length - 1] as LedgerEntry;
        const start = { index: last.index + 1, timestampMs: last.timestampMs };
        // Each side's intents aim at the leases the other side's acquires ask for.
        const mainHolders = new Map<string, string>();
        const backupHolders = new Map<string, string>();
        // A first pass names the main's leases (their ids do not depend on the intents).
        sideEntries(mainSteps, { ...start, term: MAIN_TERM, prefix: 'm' }, [...sharedLeaseIds], mainHolders);
        const backupSolo = sideEntries(
          backupSteps,
          { ...start, term: BACKUP_TERM, prefix: 'b' },
          [...sharedLeaseIds],
          backupHolders,
          mainHolders,
        );
        const mainSolo = sideEntries(
          mainSteps,
          { ...start, term: MAIN_TERM, prefix: 'm' },
          [...sharedLeaseIds],
          mainHolders,
          backupHolders,
        );
        for (const entry of mainSolo) main.apply(entry);
        const backupResults = backupSolo.map((entry) => backup.apply(entry));

        const plan = planMerge(
          'backup',
          [BACKUP_TERM],
          backupSolo.map((entry) => mergedEntryFrom(entry, backup)),
          MERGE_OPTIONS,
        );
        const dropped = new Set(plan.dropped.map(({ entry }) => entry.index));
        const before = Ledger.restore(main.snapshot(), MERGE_OPTIONS);
        const knownBefore = new Set(
          [...shared, ...mainSolo, ...backupSolo].flatMap((entry) =>
            'requestId' in entry.command && main.lookupRequest(entry.command.requestId) !== undefined
              ? [entry.command.requestId]
              : [],
          ),
        );
        let index = Math.max(main.appliedIndex, last.index) + 1;
        const mergeMs = Math.max(0, main.clockMs + mergeDelayMs);
        const mergeEntries: LedgerEntry[] = plan.commands.map((command) => ({
          index: index++,
          term: MAIN_TERM,
          timestampMs: mergeMs,
          command,
        }));
        const outcomes = mergeEntries.map((entry) => main.apply(entry));
        for (const outcome of outcomes) expect(outcome.ok && outcome.outcome.kind).to.equal('merged');

        // 1. Every request acknowledged on either side is known (a command the backup refused as
        // invalid is left out of the merge: a retry is refused the same way).
        const acknowledged = [
          ...shared,
          ...mainSolo,
          ...backupSolo.filter((entry) => !dropped.has(entry.index)),
        ];
        for (const entry of acknowledged) {
          if ('requestId' in entry.command) {
            expect(main.lookupRequest(entry.command.requestId), entry.command.requestId).to.not.equal(
              undefined,
            );
          }
        }

        // 2. The first time the merge meets a request, a lease the backup granted (or handed back)
        // keeps its id, what the backup refused stays refused, and accepted usage counts once.
        // A request the main already knew counts the backup's accepted usage when the main had
        // refused that request id (the workstation holds the backup's acceptance).
        let expectedUnits = totalUnits(before);
        const seen = new Set(knownBefore);
        const answeredOnBoth = new Set<string>();
        backupSolo.forEach((entry, position) => {
          const command = entry.command;
          if (dropped.has(entry.index) || !('requestId' in command)) return;
          const backupResult = backupResults[position] as Result;
          if (knownBefore.has(command.requestId)) {
            if (answeredOnBoth.has(command.requestId)) return;
            answeredOnBoth.add(command.requestId);
            const mainBefore = before.lookupRequest(command.requestId);
            const acceptedLate =
              command.type === 'report_usage' &&
              backupResult.ok &&
              mainBefore !== undefined &&
              !mainBefore.ok &&
              main.lookupRequest(command.requestId)?.ok === true;
            if (acceptedLate) expectedUnits += command.units;
            return;
          }
          if (seen.has(command.requestId)) return;
          seen.add(command.requestId);
          const mainResult = main.lookupRequest(command.requestId);
          if (command.type === 'acquire_lease') {
            // What the backup refused stays refused, as the backup remembers it: an id the backup
            // first used for a command the merge drops as invalid (its refusal remembered under the
            // id), then again for this one (refused as reused), is remembered with the first
            // refusal on both sides, and a retry of either command is refused the same way.
            if (!backupResult.ok) {
              expect(mainResult).to.deep.equal(backup.lookupRequest(command.requestId) ?? backupResult);
            }
            if (backupResult.ok && backupResult.outcome.kind === 'lease' && mainResult?.ok) {
              expect(mainResult.outcome.kind === 'lease' && mainResult.outcome.lease.leaseId).to.equal(
                backupResult.outcome.lease.leaseId,
              );
            }
          }
          if (command.type === 'report_usage') {
            if (!backupResult.ok) expect(mainResult).to.deep.equal(backupResult);
            if (mainResult?.ok) {
              expect(mainResult).to.deep.equal(backupResult);
              expectedUnits += command.units;
            }
          }
        });
        expect(totalUnits(main)).to.equal(expectedUnits);

        // 3. Every excess the merge caused is covered by an open incident at least as large.
        const open = main.incidents({ openOnly: true });
        for (const licenceId of LICENCE_IDS) {
          const after = excessOf(main, licenceId, main.clockMs);
          const earlier = excessOf(before, licenceId, main.clockMs);
          if (after.seats > earlier.seats) {
            const covering = open.filter(
              (incident) => incident.licenceId === licenceId && incident.kind === 'seats',
            );
            expect(Math.max(0, ...covering.map((incident) => incident.excess))).to.be.at.least(after.seats);
            expect(main.isOverdrawn(licenceId)).to.equal(true);
          }
          if (after.usage > earlier.usage) {
            const periodStartMs = main.currentUsage(licenceId, main.clockMs)?.periodStartMs;
            const covering = open.filter(
              (incident) =>
                incident.licenceId === licenceId &&
                incident.kind === 'usage' &&
                incident.periodStartMs === periodStartMs,
            );
            expect(Math.max(0, ...covering.map((incident) => incident.excess))).to.be.at.least(after.usage);
          }
        }
        for (const incident of main.incidents()) {
          expect(incident.excess).to.equal(incident.observed - incident.limit);
          expect(incident.excess).to.be.greaterThan(0);
        }

        // 3b. No tombstone is left whose lease is live and held by the workstation that asked: the
        // merge applied it.
        for (const intent of main.leaseIntentRecords()) {
          expect(main.getLease(intent.leaseId)?.workstationId, intent.leaseId).to.not.equal(
            intent.workstationId,
          );
        }

        // 4. A replica that restored a snapshot taken before the merge, and decodes the merge
        // entries from bytes, ends with the same state.
        const replica = Ledger.restore(before.snapshot(), MERGE_OPTIONS);
        for (const entry of mergeEntries) {
          const decoded = decodeEntryData(
            encodeEntryData({ timestampMs: entry.timestampMs, command: entry.command }),
          );
          replica.apply({ index: entry.index, term: entry.term, ...decoded });
        }
        expect(replica.stateHash()).to.equal(main.stateHash());
        expect(replica.snapshot()).to.deep.equal(main.snapshot());

        // 5. Merging the same entries again finds only duplicates and changes nothing.
        const hash = main.stateHash();
        for (const entry of mergeEntries) {
          const again = main.apply({ ...entry, index: index++ });
          expect(again.ok && again.outcome.kind === 'merged' && again.outcome.applied).to.equal(0);
          expect(again.ok && again.outcome.kind === 'merged' && again.outcome.incidentIds).to.deep.equal([]);
        }
        expect(main.stateHash()).to.equal(hash);
      }),
      { numRuns: 300 },
    );
  });
});
