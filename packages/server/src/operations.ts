// The path every mutating request takes: verify a licence file, validate, answer a retry from the
// ledger's memory of request ids (or refuse an id reused for another request), pre-check what must
// exist, then propose and wait for the entry to be applied. Requests that fail here never reach the
// log, so bad input cannot change the state hash.
import { LicenceFileError, type VendorKey, verifyLicenceFile } from '@tandem/issuer';
import type { Command, Ledger, LicenceTerms, Outcome, Result } from '@tandem/ledger';
import { checkWithinGrant, grantOf, validateCommand } from '@tandem/ledger';
import type { TandemConfig } from './config.js';
import { RejectionError } from './edge.js';
import {
  InvalidArgumentError,
  NotFoundError,
  OperationalError,
  PermissionError,
  PreconditionError,
} from './errors.js';
import type { Replica } from './replica.js';

/** What decides whether this node serves a request, beyond the ledger's own rules. */
export interface OperationPolicy {
  maxTtlMs: number;
  /** Set on the backup of a pair: while it leads, it grants leases only on licences with redundancy. */
  redundantLicencesOnly: boolean;
  /** The vendor keys licence files must be signed with. */
  vendorKeys: readonly VendorKey[];
  /** Wall-clock time, for refusing an expired licence file before proposing it. */
  nowMs: () => number;
  /** Pair mode: a release or renewal of an unknown lease may be recorded as an intent. */
  pairMode: boolean;
}

export function operationPolicy(config: TandemConfig): OperationPolicy {
  return {
    maxTtlMs: config.ledger.maxTtlMs,
    redundantLicencesOnly: config.cluster.mode === 'pair' && config.node.role === 'backup',
    vendorKeys: config.licensing.vendorKeys,
    nowMs: () => Date.now(),
    pairMode: config.cluster.mode === 'pair',
  };
}

/**
 * Whether this leader serves without its peer: some other voter is missing from the in-sync set
 * (in pair mode the voters are the two data nodes). That is the split brain, and the time just
 * after it until the merge readmits the peer; the other side may have granted leases this one does
 * not know.
 */
export function servingWithoutPeer(replica: Replica): boolean {
  const { voters, inSync } = replica.status().configuration;
  return voters.some((member) => !inSync.includes(member));
}

/**
 * Pair mode: a release or renewal of a lease this leader does not know and did not end, while it
 * serves without its peer, becomes a lease_intent (see the ledger's lease-intents.ts), recorded
 * with the caller's workstation; null when the request is answered not found as before. Outside
 * that window a renewal of an unknown lease is not found, so a workstation cannot keep a dead lease
 * alive by renewing it forever. A caller that may act for any workstation (an operator, an
 * insecure test cluster) has no workstation identity to record, and the tombstone must name the
 * holder the merge checks, so it gets not found.
 */
export function leaseIntentFor(
  command: Extract<Command, { type: 'renew_lease' | 'release_lease' }>,
  ledger: Ledger,
  workstationId: string | null,
  pairMode: boolean,
  withoutPeer: boolean,
): Extract<Command, { type: 'lease_intent' }> | null {
  if (!pairMode || !withoutPeer || workstationId === null) return null;
  if (ledger.getLease(command.leaseId) !== undefined || ledger.leaseEnded(command.leaseId)) return null;
  // A lease id no ledger could have made is not found, as before.
  if (grantOf(command.leaseId) === null) return null;
  return {
    type: 'lease_intent',
    requestId: command.requestId,
    leaseId: command.leaseId,
    workstationId,
    action: command.type === 'release_lease' ? 'release' : 'renew',
    ttlMs: command.type === 'release_lease' ? 0 : command.ttlMs,
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

/** The licence file a command carries, if any. */
function licenceFileOf(command: Command): string | null {
  if (command.type === 'activate_licence') return command.licenceFile;
  if (command.type === 'update_licence') return command.licenceFile;
  return null;
}

/** A licence file's signature, checked against the configured vendor keys; its terms. */
function verifiedTerms(licenceFile: string, policy: OperationPolicy): LicenceTerms {
  try {
    return verifyLicenceFile(licenceFile, policy.vendorKeys).terms;
  } catch (error) {
    if (!(error instanceof LicenceFileError)) throw error;
    throw new InvalidArgumentError('licence_file', error.message, error.code);
  }
}

/**
 * What the ledger would refuse a verified licence file for, refused here with the field named: a
 * file for another cluster, an expired one. A ledger that has not recorded its cluster id yet (a
 * fresh cluster's first moments) makes the caller retry.
 */
function checkFileForCluster(ledger: Ledger, terms: LicenceTerms, policy: OperationPolicy): void {
  const clusterId = ledger.clusterId;
  if (clusterId === null) {
    throw new OperationalError('cluster_id_pending', 'the cluster id is not recorded yet; retry', true);
  }
  if (terms.clusterId !== clusterId) {
    throw new RejectionError(
      'licence_wrong_cluster',
      `the licence file is issued for cluster ${terms.clusterId}, not this cluster (${clusterId})`,
      'licence_file',
    );
  }
  if (terms.validUntilMs !== 0 && terms.validUntilMs <= policy.nowMs()) {
    throw new RejectionError(
      'licence_expired',
      `the licence file expired at ${new Date(terms.validUntilMs).toISOString()}`,
      'licence_file',
    );
  }
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
  await replica.awaitTakeOver();
  replica.assertLeader();
  // The signature first: a file that does not verify is refused for that, whatever else it says.
  const licenceFile = licenceFileOf(command);
  const terms = licenceFile === null ? null : verifiedTerms(licenceFile, policy);
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
    if (previous !== undefined) {
      if (ledger.isRequestIdReused(command)) {
        throw new RejectionError(
          'request_id_reused',
          `request id ${command.requestId} was used before for a different request; use a new request id`,
          'request_id',
        );
      }
      return unwrap(previous, ledger.appliedIndex);
    }
  }
  let proposed: Command = command;
  switch (command.type) {
    case 'activate_licence': {
      const licenceTerms = terms as LicenceTerms;
      if (ledger.getLicence(licenceTerms.licenceId) !== undefined) {
        throw new RejectionError('licence_exists', `licence "${licenceTerms.licenceId}" already exists`);
      }
      checkFileForCluster(ledger, licenceTerms, policy);
      break;
    }
    case 'update_licence': {
      const licence = ledger.getLicence(command.licenceId);
      if (licence === undefined) {
        throw new NotFoundError('licence_id', `licence "${command.licenceId}" does not exist`);
      }
      if (terms === null) {
        const beyond = checkWithinGrant(command.changes, licence.grant.limits);
        if (beyond !== null) {
          throw new RejectionError(
            'licence_limit_exceeded',
            `${beyond.field}: ${beyond.message}`,
            beyond.field,
          );
        }
        break;
      }
      if (terms.licenceId !== command.licenceId) {
        throw new InvalidArgumentError(
          'licence_file',
          `is for licence "${terms.licenceId}", not "${command.licenceId}"`,
        );
      }
      checkFileForCluster(ledger, terms, policy);
      if (terms.serial <= licence.grant.serial) {
        throw new RejectionError(
          'licence_serial_not_newer',
          `the licence file has serial ${terms.serial}; licence "${command.licenceId}" already has serial ${licence.grant.serial}`,
          'licence_file',
        );
      }
      break;
    }
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
    case 'deactivate_licence':
      if (ledger.getLicence(command.licenceId) === undefined) {
        throw new NotFoundError('licence_id', `licence "${command.licenceId}" does not exist`);
      }
      break;
    case 'renew_lease':
    case 'release_lease': {
      if (ledger.getLease(command.leaseId) !== undefined) break;
      const intent = leaseIntentFor(command, ledger, actingFor, policy.pairMode, servingWithoutPeer(replica));
      if (intent === null) throw new NotFoundError('lease_id', `lease "${command.leaseId}" does not exist`);
      proposed = intent;
      break;
    }
    case 'revoke_lease':
      if (ledger.getLease(command.leaseId) === undefined) {
        throw new NotFoundError('lease_id', `lease "${command.leaseId}" does not exist`);
      }
      break;
    default:
      break;
  }
  const applied = await replica.submit(proposed);
  return unwrap(applied.result, applied.index);
}

export function expectOutcome<K extends Outcome['kind']>(
  outcome: Outcome,
  kind: K,
): Extract<Outcome, { kind: K }> {
  if (outcome.kind !== kind) throw new Error(`expected a ${kind} outcome, got ${outcome.kind}`);
  return outcome as Extract<Outcome, { kind: K }>;
}
