// The sequential model of licences the linearizability checker replays histories against: seats,
// the lease each workstation holds, and usage against the quota. Validity windows, expiry, ticks
// and licence administration are not modelled: those commands pass through, matching any result.
// Usage is counted in one period, so a history must not cross a period boundary.
import assert from 'node:assert/strict';
import type { Command, RejectionReason, Result } from '@tandem/ledger';
import { commandRequestId, type Operation } from './history.js';
import type { SequentialModel, Transition } from './linearizability.js';
import { partitionByLicence } from './partition-by-licence.js';

export interface ModelLease {
  workstationId: string;
  /** A real `lease-<index>`, or `?<requestId>` for a lease granted by an acquire whose answer was lost. */
  leaseId: string;
}

export interface ModelLicence {
  seats: number;
  /** null: no quota. */
  quotaUnits: number | null;
  usedUnits: number;
  /** Sorted by workstation id, so equal states have equal keys. */
  leases: readonly ModelLease[];
}

export interface LicenceModelState {
  licences: Readonly<Record<string, ModelLicence>>;
  /**
   * What each applied request that the history retries answered: a retry gets the same answer and
   * changes nothing. Only retried requests are remembered, and only while some of their
   * invocations are still to be linearized (`remaining`), so that orders which end in the same
   * seats and usage end in the same state and the state stays small on long histories.
   */
  answers: Readonly<Record<string, RememberedAnswer>>;
  /**
   * How many times each request id invoked more than once appears in the history; constant, so
   * left out of the state key.
   */
  retriedRequestIds: ReadonlyMap<string, number>;
}

export interface RememberedAnswer {
  expected: LicenceExpectation;
  /** Invocations of the request not linearized yet; the answer is forgotten at 0. */
  remaining: number;
}

export type LicenceExpectation =
  | { kind: 'any' }
  | { kind: 'lease'; leaseId: string; workstationId: string }
  | { kind: 'usage'; usedUnits: number }
  | { kind: 'rejected'; reason: RejectionReason };

export interface LicenceModelConfig {
  licenceId: string;
  seats: number;
  quotaUnits: number | null;
  usedUnits?: number;
  leases?: readonly ModelLease[];
}

const PLACEHOLDER_PREFIX = '?';
const ANY: LicenceExpectation = { kind: 'any' };

export function createLicenceModel(
  configs: readonly LicenceModelConfig[],
): SequentialModel<LicenceModelState, LicenceExpectation> {
  const licences: Record<string, ModelLicence> = {};
  for (const config of configs) {
    assert(!(config.licenceId in licences), `licence ${config.licenceId} configured twice`);
    assert(Number.isSafeInteger(config.seats) && config.seats > 0, 'seats must be a positive integer');
    licences[config.licenceId] = {
      seats: config.seats,
      quotaUnits: config.quotaUnits,
      usedUnits: config.usedUnits ?? 0,
      leases: sortLeases([...(config.leases ?? [])]),
    };
  }
  return {
    initialState: (operations) => ({
      licences,
      answers: {},
      retriedRequestIds: retriedRequestIds(operations),
    }),
    step: stepLicences,
    matches: matchesExpectation,
    stateKey: licenceStateKey,
    describeExpected: describeExpectation,
    partition: (operations) => {
      const parts = partitionByLicence(operations);
      return parts === null ? [operations] : [...parts.values()];
    },
  };
}

export function matchesExpectation(expected: LicenceExpectation, actual: Result): boolean {
  switch (expected.kind) {
    case 'any':
      return true;
    case 'rejected':
      return !actual.ok && actual.reason === expected.reason;
    case 'lease':
      return (
        actual.ok &&
        actual.outcome.kind === 'lease' &&
        actual.outcome.lease.leaseId === expected.leaseId &&
        actual.outcome.lease.workstationId === expected.workstationId
      );
    case 'usage':
      return actual.ok && actual.outcome.kind === 'usage' && actual.outcome.used === expected.usedUnits;
  }
}

export function describeExpectation(expected: LicenceExpectation): string {
  switch (expected.kind) {
    case 'any':
      return 'any result';
    case 'rejected':
      return `rejection ${expected.reason}`;
    case 'lease':
      return `lease ${expected.leaseId} for ${expected.workstationId}`;
    case 'usage':
      return `usage used=${expected.usedUnits}`;
  }
}

export function licenceStateKey(state: LicenceModelState): string {
  const licences = Object.keys(state.licences)
    .sort()
    .map((licenceId) => {
      const licence = state.licences[licenceId] as ModelLicence;
      const leases = licence.leases.map((lease) => `${lease.workstationId}=${lease.leaseId}`).join(',');
      return `${licenceId}:${licence.seats}:${licence.quotaUnits}:${licence.usedUnits}:[${leases}]`;
    });
  const answers = Object.keys(state.answers)
    .sort()
    .map((requestId) => `${requestId}=${JSON.stringify(state.answers[requestId])}`);
  return `${JSON.stringify(licences)}${JSON.stringify(answers)}`;
}

function stepLicences(
  state: LicenceModelState,
  command: Command,
  actual: Result | null,
): Transition<LicenceModelState, LicenceExpectation>[] {
  // Validation depends on the command alone, so a refusal as invalid is right in every state.
  if (actual !== null && !actual.ok && actual.reason === 'invalid_command') {
    return [{ state, expected: { kind: 'rejected', reason: 'invalid_command' } }];
  }
  const requestId = commandRequestId(command);
  const earlier = requestId === null ? undefined : state.answers[requestId];
  if (requestId !== null && earlier !== undefined) {
    const replayed = replay(state, earlier.expected, actual);
    return [{ state: countDown(replayed.state, requestId), expected: replayed.expected }];
  }
  let transitions: Transition<LicenceModelState, LicenceExpectation>[];
  switch (command.type) {
    case 'acquire_lease':
      transitions = acquire(state, command.licenceId, command.workstationId, command.requestId, actual);
      break;
    case 'renew_lease':
      transitions = onLease(state, command.leaseId, false);
      break;
    case 'release_lease':
    case 'revoke_lease':
      transitions = onLease(state, command.leaseId, true);
      break;
    case 'report_usage':
      transitions = reportUsage(state, command.licenceId, command.units);
      break;
    default:
      return [{ state, expected: ANY }];
  }
  const invocations = requestId === null ? undefined : state.retriedRequestIds.get(requestId);
  if (requestId === null || invocations === undefined) return transitions;
  return transitions.map((transition) =>
    transition.expected.kind === 'any'
      ? transition
      : {
          state: {
            ...transition.state,
            answers: {
              ...transition.state.answers,
              [requestId]: { expected: transition.expected, remaining: invocations - 1 },
            },
          },
          expected: transition.expected,
        },
  );
}

/** One more invocation of a remembered request is linearized; the last one forgets the answer. */
function countDown(state: LicenceModelState, requestId: string): LicenceModelState {
  const remembered = state.answers[requestId];
  assert(remembered !== undefined, `request ${requestId} has no remembered answer`);
  const answers = { ...state.answers };
  if (remembered.remaining <= 1) delete answers[requestId];
  else answers[requestId] = { ...remembered, remaining: remembered.remaining - 1 };
  return { ...state, answers };
}

/** A retry answers as the first attempt did; a lost lease id is learnt from the retry's answer. */
function replay(
  state: LicenceModelState,
  earlier: LicenceExpectation,
  actual: Result | null,
): Transition<LicenceModelState, LicenceExpectation> {
  if (earlier.kind === 'lease' && isPlaceholder(earlier.leaseId)) {
    const learnt = leaseIdIn(actual);
    if (learnt !== null && !leaseIdInUse(state, learnt)) {
      const renamed = renameLease(state, earlier.leaseId, learnt);
      return { state: renamed, expected: { ...earlier, leaseId: learnt } };
    }
  }
  return { state, expected: earlier };
}

function acquire(
  state: LicenceModelState,
  licenceId: string,
  workstationId: string,
  requestId: string,
  actual: Result | null,
): Transition<LicenceModelState, LicenceExpectation>[] {
  const licence = state.licences[licenceId];
  if (licence === undefined) return [{ state, expected: ANY }];
  const learnt = leaseIdIn(actual);
  const held = licence.leases.find((lease) => lease.workstationId === workstationId);
  if (held !== undefined) {
    if (isPlaceholder(held.leaseId) && learnt !== null && !leaseIdInUse(state, learnt)) {
      return [
        {
          state: renameLease(state, held.leaseId, learnt),
          expected: { kind: 'lease', leaseId: learnt, workstationId },
        },
      ];
    }
    return [{ state, expected: { kind: 'lease', leaseId: held.leaseId, workstationId } }];
  }
  if (licence.leases.length >= licence.seats) {
    return [{ state, expected: { kind: 'rejected', reason: 'seat_limit_reached' } }];
  }
  const leaseId =
    learnt !== null && !leaseIdInUse(state, learnt) ? learnt : `${PLACEHOLDER_PREFIX}${requestId}`;
  const leases = sortLeases([...licence.leases, { workstationId, leaseId }]);
  return [
    {
      state: withLicence(state, licenceId, { ...licence, leases }),
      expected: { kind: 'lease', leaseId, workstationId },
    },
  ];
}

/**
 * Renew, release or revoke. A lease id the model does not know may belong to a lease whose grant
 * was never answered: every such lease is a possibility, as is the refusal.
 */
function onLease(
  state: LicenceModelState,
  leaseId: string,
  removes: boolean,
): Transition<LicenceModelState, LicenceExpectation>[] {
  assert(!isPlaceholder(leaseId), `lease id ${leaseId} collides with the model's placeholders`);
  const apply = (current: LicenceModelState): Transition<LicenceModelState, LicenceExpectation> | null => {
    for (const [licenceId, licence] of Object.entries(current.licences)) {
      const lease = licence.leases.find((candidate) => candidate.leaseId === leaseId);
      if (lease === undefined) continue;
      const next = removes
        ? withLicence(current, licenceId, {
            ...licence,
            leases: licence.leases.filter((other) => other !== lease),
          })
        : current;
      return { state: next, expected: { kind: 'lease', leaseId, workstationId: lease.workstationId } };
    }
    return null;
  };
  const known = apply(state);
  if (known !== null) return [known];
  const transitions: Transition<LicenceModelState, LicenceExpectation>[] = [
    { state, expected: { kind: 'rejected', reason: 'lease_not_found' } },
  ];
  for (const licence of Object.values(state.licences)) {
    for (const lease of licence.leases) {
      if (!isPlaceholder(lease.leaseId)) continue;
      const bound = apply(renameLease(state, lease.leaseId, leaseId));
      assert(bound !== null, 'a renamed lease must be found');
      transitions.push(bound);
    }
  }
  return transitions;
}

function reportUsage(
  state: LicenceModelState,
  licenceId: string,
  units: number,
): Transition<LicenceModelState, LicenceExpectation>[] {
  const licence = state.licences[licenceId];
  if (licence === undefined) return [{ state, expected: ANY }];
  const usedUnits = licence.usedUnits + units;
  if (licence.quotaUnits !== null && usedUnits > licence.quotaUnits) {
    return [{ state, expected: { kind: 'rejected', reason: 'quota_exhausted' } }];
  }
  return [
    {
      state: withLicence(state, licenceId, { ...licence, usedUnits }),
      expected: { kind: 'usage', usedUnits },
    },
  ];
}

function leaseIdIn(result: Result | null): string | null {
  return result?.ok === true && result.outcome.kind === 'lease' ? result.outcome.lease.leaseId : null;
}

function isPlaceholder(leaseId: string): boolean {
  return leaseId.startsWith(PLACEHOLDER_PREFIX);
}

function leaseIdInUse(state: LicenceModelState, leaseId: string): boolean {
  return Object.values(state.licences).some((licence) =>
    licence.leases.some((lease) => lease.leaseId === leaseId),
  );
}

function renameLease(state: LicenceModelState, from: string, to: string): LicenceModelState {
  const licences: Record<string, ModelLicence> = {};
  for (const [licenceId, licence] of Object.entries(state.licences)) {
    licences[licenceId] = {
      ...licence,
      leases: licence.leases.map((lease) => (lease.leaseId === from ? { ...lease, leaseId: to } : lease)),
    };
  }
  const answers: Record<string, RememberedAnswer> = {};
  for (const [requestId, answer] of Object.entries(state.answers)) {
    const { expected } = answer;
    answers[requestId] =
      expected.kind === 'lease' && expected.leaseId === from
        ? { ...answer, expected: { ...expected, leaseId: to } }
        : answer;
  }
  return { licences, answers, retriedRequestIds: state.retriedRequestIds };
}

/** Request ids invoked more than once, with how many times each was invoked. */
function retriedRequestIds(operations: readonly Operation[]): Map<string, number> {
  const invocations = new Map<string, number>();
  for (const operation of operations) {
    const requestId = commandRequestId(operation.command);
    if (requestId !== null) invocations.set(requestId, (invocations.get(requestId) ?? 0) + 1);
  }
  for (const [requestId, count] of invocations) if (count < 2) invocations.delete(requestId);
  return invocations;
}

function withLicence(state: LicenceModelState, licenceId: string, licence: ModelLicence): LicenceModelState {
  return { ...state, licences: { ...state.licences, [licenceId]: licence } };
}

function sortLeases(leases: ModelLease[]): ModelLease[] {
  return leases.sort((left, right) =>
    left.workstationId < right.workstationId ? -1 : left.workstationId > right.workstationId ? 1 : 0,
  );
}
