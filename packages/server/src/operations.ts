// The path every mutating request takes: validate, answer a retry from the ledger's memory of
// request ids, pre-check what must exist, then propose and wait for the entry to be applied.
// Requests that fail here never reach the log, so bad input cannot change the state hash.
import type { Command, Outcome, Result } from '@tandem/ledger';
import { validateCommand } from '@tandem/ledger';
import type { TandemConfig } from './config.js';
import { RejectionError } from './edge.js';
import { InvalidArgumentError, NotFoundError, PermissionError, PreconditionError } from './errors.js';
import type { Replica } from './replica.js';

/** What decides whether this node serves a request, beyond the ledger's own rules. */
export interface OperationPolicy {
  maxTtlMs: number;
  /** Set on the backup of a pair: while it leads, it grants leases only on licences with redundancy. */
  redundantLicencesOnly: boolean;
}

export function operationPolicy(config: TandemConfig): OperationPolicy {
  return {
    maxTtlMs: config.ledger.maxTtlMs,
    redundantLicencesOnly: config.cluster.mode === 'pair' && config.node.role === 'backup',
  };
}

export interface Executed {
  outcome: Outcome;
  index: number;
}

function unwrap(result: Result, index: number): Executed {
  if (!result.ok) throw new RejectionError(result.reason, result.message);
  return { outcome: result.outcome, index };
}

/**
 * caller.workstationId: the workstation the caller may act for (see identity.ts workstationOf), or
 * null when it may act for any. A workstation touches only its own leases and reports only its own
 * usage; that is checked here, before anything is proposed.
 */
export async function execute(
  replica: Replica,
  command: Command,
  policy: OperationPolicy,
  caller: { workstationId: string | null } = { workstationId: null },
): Promise<Executed> {
  replica.assertLeader();
  const invalid = validateCommand(command, { maxTtlMs: policy.maxTtlMs });
  if (invalid !== null) throw new InvalidArgumentError(invalid.field, invalid.message);
  const ledger = replica.ledger;
  const actingFor = caller.workstationId;
  if (actingFor !== null && (command.type === 'acquire_lease' || command.type === 'report_usage')) {
    if (command.workstationId !== actingFor) {
      throw new PermissionError(
        'workstation_id',
        `the caller is workstation "${actingFor}" and may not act for "${command.workstationId.slice(0, 128)}"`,
      );
    }
  }
  if (actingFor !== null && (command.type === 'renew_lease' || command.type === 'release_lease')) {
    const lease = ledger.getLease(command.leaseId);
    if (lease !== undefined && lease.workstationId !== actingFor) {
      throw new PermissionError(
        'lease_id',
        `the lease is held by another workstation, not by "${actingFor}"`,
      );
    }
  }
  if ('requestId' in command) {
    const previous = ledger.lookupRequest(command.requestId);
    if (previous !== undefined) return unwrap(previous, ledger.appliedIndex);
  }
  switch (command.type) {
    case 'activate_licence':
      if (ledger.getLicence(command.licence.licenceId) !== undefined) {
        throw new RejectionError('licence_exists', `licence "${command.licence.licenceId}" already exists`);
      }
      break;
    case 'acquire_lease': {
      const licence = ledger.getLicence(command.licenceId);
      if (licence === undefined) {
        throw new NotFoundError('licence_id', `licence "${command.licenceId}" does not exist`);
      }
      // Design rule 5: the backup serves a licence only if it was activated with redundancy. Leases
      // it already holds are still renewed; only new ones are refused.
      if (policy.redundantLicencesOnly && !licence.redundancy) {
        throw new PreconditionError(
          'licence_not_redundant',
          'licence_id',
          `licence "${command.licenceId}" is not redundant, so the backup does not grant new leases on it`,
        );
      }
      break;
    }
    case 'report_usage':
    case 'update_licence':
    case 'deactivate_licence':
      if (ledger.getLicence(command.licenceId) === undefined) {
        throw new NotFoundError('licence_id', `licence "${command.licenceId}" does not exist`);
      }
      break;
    case 'renew_lease':
    case 'release_lease':
    case 'revoke_lease':
      if (ledger.getLease(command.leaseId) === undefined) {
        throw new NotFoundError('lease_id', `lease "${command.leaseId}" does not exist`);
      }
      break;
    default:
      break;
  }
  const applied = await replica.submit(command);
  return unwrap(applied.result, applied.index);
}

export function expectOutcome<K extends Outcome['kind']>(
  outcome: Outcome,
  kind: K,
): Extract<Outcome, { kind: K }> {
  if (outcome.kind !== kind) throw new Error(`expected a ${kind} outcome, got ${outcome.kind}`);
  return outcome as Extract<Outcome, { kind: K }>;
}
