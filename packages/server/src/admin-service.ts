// AdminService: what tandemctl and operators call.
import type * as grpc from '@grpc/grpc-js';
import type { LicenceChanges } from '@tandem/ledger';
import type {
  ActivateLicenceRequest__Output,
  AdminServiceHandlers,
  ClusterStatusResponse,
  DeactivateLicenceRequest__Output,
  GetUsageRequest__Output,
  GetUsageResponse,
  LicenceResponse,
  ListIncidentsRequest__Output,
  ListIncidentsResponse,
  ListLeasesRequest__Output,
  ListLeasesResponse,
  ListLicencesResponse,
  NodeStatus,
  RevokeLeaseRequest__Output,
  RevokeLeaseResponse,
  SnapshotResponse,
  TransferLeadershipRequest__Output,
  TransferLeadershipResponse,
  UpdateLicenceRequest__Output,
  VerifyRequest__Output,
  VerifyResponse,
} from '@tandem/wire';
import {
  incidentToWire,
  leaseToWire,
  licenceSpecFromWire,
  licenceToWire,
  quotaFromWire,
  usagePeriodToWire,
} from '@tandem/wire';
import type { PeerConfig, TandemConfig } from './config.js';
import type { EdgeContext } from './edge.js';
import { responseHeader, roleToWire, stateToWire, unary } from './edge.js';
import { NotFoundError, OperationalError } from './errors.js';
import { execute, expectOutcome, operationPolicy } from './operations.js';
import type { PeerContacts } from './peer-contact.js';
import type { Replica } from './replica.js';
import { licenceFigures, licenceResponse, requireIdentifier } from './workstation-service.js';

export const VERSION = '0.1.0';

/** The state hash is a sha256 over the whole ledger: compute it once per applied index. */
export class StateHashCache {
  private index = -1;
  private hash = '';
  constructor(private readonly replica: Replica) {}
  current(): { index: number; hash: string } {
    const index = this.replica.ledger.appliedIndex;
    if (index !== this.index) {
      this.hash = this.replica.ledger.stateHash();
      this.index = index;
    }
    return { index, hash: this.hash };
  }
}

function licenceChanges(request: UpdateLicenceRequest__Output): LicenceChanges {
  const changes: LicenceChanges = {};
  // proto3 `optional` fields come with a synthetic oneof that names the field when it is present.
  const present = (name: string) => (request as unknown as Record<string, unknown>)[`_${name}`] === name;
  if (present('product')) changes.product = request.product ?? '';
  if (present('seats')) changes.seats = request.seats ?? 0;
  if (request.clearQuota) changes.quota = null;
  else if (present('quota')) changes.quota = quotaFromWire(request.quota);
  if (present('validFromMs')) changes.validFromMs = request.validFromMs ?? 0;
  if (present('validUntilMs')) changes.validUntilMs = request.validUntilMs ?? 0;
  if (present('redundancy')) changes.redundancy = request.redundancy ?? false;
  if (request.replaceFeatures) changes.features = { ...request.features };
  return changes;
}

export function adminService(
  context: EdgeContext,
  replica: Replica,
  config: TandemConfig,
  startedAtMs: number,
  contacts: PeerContacts,
): AdminServiceHandlers & grpc.UntypedServiceImplementation {
  const policy = operationPolicy(config);
  const hashes = new StateHashCache(replica);

  const licenceResult = async (promise: ReturnType<typeof execute>): Promise<LicenceResponse> => {
    const { outcome, index } = await promise;
    const licence = expectOutcome(outcome, 'licence').licence;
    return {
      header: responseHeader(context, index),
      licence: licenceToWire(licence, licenceFigures(replica.ledger, licence.licenceId)),
    };
  };

  const selfStatus = (): NodeStatus => {
    const status = replica.status();
    const { hash } = hashes.current();
    return {
      id: config.node.id,
      address: config.node.advertise,
      role: roleToWire(config.node.role),
      state: stateToWire(status.role),
      term: status.term,
      commitIndex: status.commitIndex,
      appliedIndex: status.appliedIndex,
      stateHash: hash,
      lastIndex: status.lastIndex,
      snapshotIndex: status.snapshotIndex,
      inSync: status.configuration.inSync.includes(config.node.id),
      lagEntries: 0,
      lagMs: 0,
      lastContactMs: 0,
      reachable: true,
      mode: config.cluster.mode,
      version: VERSION,
      startedAtMs,
    };
  };

  const peers = config.cluster.nodes.filter((node) => node.id !== config.node.id && node.role !== 'witness');
  /** Status lists the witness too (it holds no log: no lag, never in sync). */
  const statusPeers = config.cluster.nodes.filter((node) => node.id !== config.node.id);

  /** What this node knows of a peer: from its own core's progress and from the traffic between them. */
  const peerStatus = (peer: PeerConfig, status: ReturnType<Replica['status']>): NodeStatus => {
    const view = contacts.view(peer.id);
    const nowMs = Date.now();
    const progress = peer.role === 'witness' ? undefined : status.progress?.[peer.id];
    // Only a leader knows how far behind its peer is.
    const lagEntries = progress === undefined ? 0 : Math.max(0, status.lastIndex - progress.matchIndex);
    let state: NodeStatus['state'] = 'NODE_STATE_UNSPECIFIED';
    if (status.leaderId === peer.id) state = 'NODE_STATE_LEADER';
    else if (status.role === 'leader') state = 'NODE_STATE_FOLLOWER';
    return {
      id: peer.id,
      address: peer.address,
      role: roleToWire(peer.role),
      state,
      term: view.lastSeenTerm,
      commitIndex: 0,
      appliedIndex: 0,
      stateHash: '',
      lastIndex: 0,
      snapshotIndex: 0,
      inSync: status.configuration.inSync.includes(peer.id),
      lagEntries,
      // Behind since it last held the whole log, as far as this node saw.
      lagMs: lagEntries === 0 ? 0 : Math.max(0, nowMs - (view.caughtUpAtMs ?? startedAtMs)),
      lastContactMs: Math.max(0, nowMs - (view.lastContactAtMs ?? startedAtMs)),
      reachable: view.reachable,
      mode: config.cluster.mode,
      version: '',
      startedAtMs: 0,
    };
  };

  return {
    ActivateLicence: unary(context, (request: ActivateLicenceRequest__Output) =>
      licenceResult(
        execute(
          replica,
          {
            type: 'activate_licence',
            requestId: request.requestId,
            licence: licenceSpecFromWire(request.licence),
          },
          policy,
        ),
      ),
    ),
    UpdateLicence: unary(context, (request: UpdateLicenceRequest__Output) =>
      licenceResult(
        execute(
          replica,
          {
            type: 'update_licence',
            requestId: request.requestId,
            licenceId: request.licenceId,
            changes: licenceChanges(request),
          },
          policy,
        ),
      ),
    ),
    DeactivateLicence: unary(context, (request: DeactivateLicenceRequest__Output) =>
      licenceResult(
        execute(
          replica,
          { type: 'deactivate_licence', requestId: request.requestId, licenceId: request.licenceId },
          policy,
        ),
      ),
    ),
    ListLicences: unary(context, (): ListLicencesResponse => {
      replica.assertReadable();
      const ledger = replica.ledger;
      return {
        header: responseHeader(context),
        licences: ledger
          .listLicences()
          .map((licence) => licenceToWire(licence, licenceFigures(ledger, licence.licenceId))),
      };
    }),
    GetLicence: unary(context, (request: { licenceId: string }) =>
      licenceResponse(context, replica, request.licenceId),
    ),
    ListLeases: unary(context, (request: ListLeasesRequest__Output): ListLeasesResponse => {
      replica.assertReadable();
      if (request.licenceId !== '' && replica.ledger.getLicence(request.licenceId) === undefined) {
        throw new NotFoundError('licence_id', `licence "${request.licenceId}" does not exist`);
      }
      const leases = replica.ledger.listLeases(request.licenceId === '' ? undefined : request.licenceId);
      return { header: responseHeader(context), leases: leases.map(leaseToWire) };
    }),
    RevokeLease: unary(context, async (request: RevokeLeaseRequest__Output): Promise<RevokeLeaseResponse> => {
      const { outcome, index } = await execute(
        replica,
        {
          type: 'revoke_lease',
          requestId: request.requestId,
          leaseId: request.leaseId,
          reason: request.reason,
        },
        policy,
      );
      return {
        header: responseHeader(context, index),
        lease: leaseToWire(expectOutcome(outcome, 'lease').lease),
      };
    }),
    GetUsage: unary(context, (request: GetUsageRequest__Output): GetUsageResponse => {
      replica.assertReadable();
      requireIdentifier(request.licenceId, 'licence_id');
      const ledger = replica.ledger;
      const licence = ledger.getLicence(request.licenceId);
      if (licence === undefined) {
        throw new NotFoundError('licence_id', `licence "${request.licenceId}" does not exist`);
      }
      let periods = ledger.usage(request.licenceId);
      if (request.atMs !== 0) {
        periods = periods.filter(
          (period) => period.periodStartMs <= request.atMs && request.atMs < period.periodEndMs,
        );
        if (periods.length === 0 && licence.quota !== null) {
          // A period with no reports yet: say so with zero use rather than an empty list.
          const current = ledger.currentUsage(request.licenceId, request.atMs);
          if (current !== null) periods = [current];
        }
      }
      return {
        header: responseHeader(context),
        licenceId: request.licenceId,
        periods: periods.map(usagePeriodToWire),
        totalUsed: periods.reduce((sum, period) => sum + period.used, 0),
      };
    }),
    ClusterStatus: unary(context, (): ClusterStatusResponse => {
      const status = replica.status();
      return {
        header: responseHeader(context),
        nodes: [selfStatus(), ...statusPeers.map((peer) => peerStatus(peer, status))],
        leaderId: status.leaderId ?? '',
        inSync: status.configuration.inSync,
        openIncidents: replica.ledger.openIncidentCount(),
      };
    }),
    TransferLeadership: unary(
      context,
      async (request: TransferLeadershipRequest__Output): Promise<TransferLeadershipResponse> => {
        requireIdentifier(request.toNodeId, 'to_node_id');
        const target = request.toNodeId;
        if (target !== config.node.id && !peers.some((peer) => peer.id === target)) {
          throw new NotFoundError('to_node_id', `node "${target}" is not a member of this cluster`);
        }
        // A follower sends the caller to the leader, which is the node that can hand over.
        replica.assertLeader();
        if (target === config.node.id) return { header: responseHeader(context), leaderId: target };
        replica.transferLeadership(target);
        const timeoutMs = config.timing.failoverTimeoutMs;
        const deadline = Date.now() + timeoutMs;
        while (replica.status().leaderId !== target && Date.now() < deadline && replica.serving) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        if (replica.status().leaderId !== target) {
          throw new OperationalError(
            'transfer_failed',
            `${target} did not take over within ${timeoutMs} ms`,
            true,
          );
        }
        return { header: responseHeader(context), leaderId: target };
      },
    ),
    Snapshot: unary(context, async (): Promise<SnapshotResponse> => {
      const snapshot = await replica.takeSnapshot();
      return {
        header: responseHeader(context),
        index: snapshot.metadata.index,
        term: snapshot.metadata.term,
        sizeBytes: snapshot.data.byteLength,
        stateHash: hashes.current().hash,
      };
    }),
    ListIncidents: unary(context, (request: ListIncidentsRequest__Output): ListIncidentsResponse => {
      replica.assertReadable();
      const incidents = replica.ledger.incidents({ openOnly: request.openOnly });
      return { header: responseHeader(context), incidents: incidents.map(incidentToWire) };
    }),
    Verify: unary(context, async (request: VerifyRequest__Output): Promise<VerifyResponse> => {
      const waitForIndex = Number.isSafeInteger(request.waitForIndex) ? request.waitForIndex : 0;
      if (waitForIndex > 0) await replica.waitForApplied(waitForIndex, 2000);
      const { index, hash } = hashes.current();
      const logHash = replica.logHash(waitForIndex > 0 ? waitForIndex : undefined);
      return {
        header: responseHeader(context),
        nodeId: config.node.id,
        appliedIndex: index,
        stateHash: hash,
        logHash: logHash?.hash ?? '',
        logHashIndex: logHash?.index ?? replica.status().appliedIndex,
      };
    }),
  };
}
