// AdminService: what tandemctl and operators call. Every admin and operator operation names its
// actor in the command (the ledger's audit trail) and is logged as an `audit` event with its outcome
// on the node that served it.
import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { Actor, AuditNoteAction, LicenceChanges, StateHasher } from '@tandem/ledger';
import { readLicenceFile } from '@tandem/ledger';
import type {
  ActivateLicenceRequest__Output,
  AdminServiceHandlers,
  ClusterStatusResponse,
  DeactivateLicenceRequest__Output,
  DrainNodeRequest__Output,
  DrainResponse,
  GetReportRequest__Output,
  GetReportResponse,
  GetUsageRequest__Output,
  GetUsageResponse,
  LicenceResponse,
  ListAuditRequest__Output,
  ListAuditResponse,
  ListIncidentsRequest__Output,
  ListIncidentsResponse,
  ListLeasesRequest__Output,
  ListLeasesResponse,
  ListLicencesResponse,
  NodeStatus,
  ResponseHeader,
  RevokeLeaseRequest__Output,
  RevokeLeaseResponse,
  SnapshotRequest__Output,
  SnapshotResponse,
  TransferLeadershipRequest__Output,
  TransferLeadershipResponse,
  UndrainNodeRequest__Output,
  UpdateLicenceRequest__Output,
  VerifyRequest__Output,
  VerifyResponse,
} from '@tandem/wire';
import {
  auditRecordToWire,
  incidentToWire,
  leaseToWire,
  licenceToWire,
  quotaFromWire,
  usagePeriodToWire,
} from '@tandem/wire';
import type { PeerConfig, TandemConfig } from './config.js';
import type { EdgeContext } from './edge.js';
import { RejectionError, responseHeader, roleToWire, stateToWire, unary } from './edge.js';
import { InvalidArgumentError, NotFoundError, OperationalError, PreconditionError } from './errors.js';
import { type AuditEvent, logAudit } from './logger.js';
import { execute, expectOutcome, operationPolicy } from './operations.js';
import type { PeerContacts } from './peer-contact.js';
import type { Replica } from './replica.js';
import { type ReportGrouping, ReportIndex, type ReportKind } from './report-index.js';
import { reportToWire } from './report-wire.js';
import {
  actorOf,
  licenceFileText,
  requireIdentifier,
  requireInteger,
  requireTime,
} from './request-checks.js';
import { licenceFigures, licenceResponse } from './workstation-service.js';

/** ListAudit answers at most this many records, the most recent; 0 asks for the default. */
export const AUDIT_PAGE_DEFAULT = 1000;
export const AUDIT_PAGE_MAX = 10_000;

/** The code an audit event gives a failed operation: the ledger's reason, or the error's own code. */
function outcomeOf(error: unknown): string {
  if (error instanceof RejectionError) return error.reason;
  if (error instanceof InvalidArgumentError) return error.reason ?? 'invalid_argument';
  if (
    error instanceof NotFoundError ||
    error instanceof PreconditionError ||
    error instanceof OperationalError
  ) {
    return error.code;
  }
  return 'internal';
}

/** What an audit event says of a licence file request: its licence and serial, if the file reads. */
function describeFile(bytes: Uint8Array | null | undefined): Pick<AuditEvent, 'licenceId' | 'detail'> {
  if (bytes === null || bytes === undefined || bytes.length === 0) return {};
  const reading = readLicenceFile(Buffer.from(bytes).toString('utf8'));
  if (!reading.ok) return { detail: 'unreadable licence file' };
  const { terms, keyId } = reading.file;
  return { licenceId: terms.licenceId, detail: `serial ${terms.serial} from ${terms.vendor} (key ${keyId})` };
}

export const VERSION = '0.1.0';

/**
 * How old the state hash in a Status answer may be while the ledger changes. The hash covers the
 * whole ledger (tens of milliseconds at 100,000 leases); the console, monitoring and `tandemctl
 * status --watch` ask for Status every second or more often, and a busy node would otherwise hash
 * its whole ledger for each of them (a main catching up after a restart spent a quarter of its CPU
 * on it while a poller waited for it to lead). Verify and Snapshot still hash the present state.
 */
export const STATUS_STATE_HASH_MAX_AGE_MS = 5_000;
/**
 * Hashing for Status takes at most this share of a node's time: a hash that took H ms is kept at
 * least H / share, beyond STATUS_STATE_HASH_MAX_AGE_MS (a ledger remembering 200,000 requests took
 * 250 ms to hash on a restarted main catching up under load, twice in its 6.6 s hand-back, while a
 * poller waited for it to lead), up to STATUS_STATE_HASH_LONGEST_AGE_MS.
 */
export const STATUS_STATE_HASH_MAX_SHARE = 0.02;
/** The oldest a Status answer's state hash gets, however long hashing takes. */
export const STATUS_STATE_HASH_LONGEST_AGE_MS = 60_000;

/**
 * Whether Status may hash the ledger now. Not on a node catching up (a follower outside the in-sync
 * set, or with committed entries still to apply), nor on a main that follows (it takes leadership
 * back as soon as it is in sync, unless drained): the hash is a diagnostic, and on a restarted
 * main it held the event loop for 0.25-1 s of the CPU the catch-up and the hand-back need (a
 * poller watching for the hand-back asked for it). Such a node answers the last hash it has, or
 * none.
 */
export function statusMayHash(
  status: Pick<ReturnType<Replica['status']>, 'role' | 'appliedIndex' | 'commitIndex' | 'configuration'>,
  nodeId: string,
  isMain: boolean,
): boolean {
  if (status.role === 'leader') return true;
  if (status.role !== 'follower') return false;
  const { inSync, drained } = status.configuration;
  if (!inSync.includes(nodeId) || status.appliedIndex < status.commitIndex) return false;
  return !isMain || (drained ?? []).includes(nodeId);
}

/** A ledger of at most this many records is hashed for Status at once (a few milliseconds). */
export const STATUS_STATE_HASH_AT_ONCE_RECORDS = 4096;
/** Records per slice of a Status hash in the background: about 2 ms each at 200,000 requests. */
export const STATUS_STATE_HASH_SLICE_RECORDS = 2048;

/** Runs a slice of background work on a later turn of the event loop, after pending I/O. */
export type SliceScheduler = (slice: () => void) => void;

const laterTurn: SliceScheduler = (slice) => {
  setImmediate(slice).unref();
};

/**
 * The state hash is a sha256 over the whole ledger. current() (Verify, Snapshot) hashes the state
 * as applied now, in one go. recent() (Status, polled by the console and by watchers) never holds
 * the event loop for a large ledger: it answers the last hash it has, and when that is too old, it
 * starts hashing a frozen view of the ledger a slice per turn (a ledger remembering 200,000 requests
 * took 0.25-0.65 s to hash in one go, a stall every client operation of a busy leader waited out).
 */
export class StateHashCache {
  /** 0 and '' until the first hash. */
  private index = 0;
  private hash = '';
  private computedAtMs = Number.NEGATIVE_INFINITY;
  /** How long the last hash took on the event loop (its slices added up). */
  private tookMs = 0;
  /** The hash being computed in the background, if one is. */
  private hashing: StateHasher | null = null;

  /**
   * @param mayHash whether recent() may start a hash now (statusMayHash); current() always hashes.
   */
  constructor(
    private readonly replica: Replica,
    private readonly nowMs: () => number = Date.now,
    private readonly mayHash: () => boolean = () => true,
    private readonly schedule: SliceScheduler = laterTurn,
  ) {}

  /** The hash of the ledger as applied now. */
  current(): { index: number; hash: string } {
    const index = this.replica.ledger.appliedIndex;
    if (index !== this.index || this.hash === '') {
      const startedAtMs = this.nowMs();
      this.hash = this.replica.ledger.stateHash();
      this.index = index;
      this.computedAtMs = this.nowMs();
      this.tookMs = Math.max(0, this.computedAtMs - startedAtMs);
    }
    return { index, hash: this.hash };
  }

  /** How old the hash in a Status answer may be now (see STATUS_STATE_HASH_MAX_SHARE). */
  get maxAgeMs(): number {
    return Math.min(
      STATUS_STATE_HASH_LONGEST_AGE_MS,
      Math.max(STATUS_STATE_HASH_MAX_AGE_MS, this.tookMs / STATUS_STATE_HASH_MAX_SHARE),
    );
  }

  /** True while a hash is being computed in the background. */
  get busy(): boolean {
    return this.hashing !== null;
  }

  /**
   * The last hash, with the index it is of (0 and '' if there is none yet). When it is older than
   * maxAgeMs and the node may hash, a new one is begun: a small ledger's at once, and answered; a
   * large one's in the background, for a later call.
   */
  recent(): { index: number; hash: string } {
    const changed = this.replica.ledger.appliedIndex !== this.index || this.hash === '';
    if (
      changed &&
      this.nowMs() - this.computedAtMs > this.maxAgeMs &&
      this.hashing === null &&
      this.mayHash()
    ) {
      this.begin();
    }
    return { index: this.index, hash: this.hash };
  }

  private begin(): void {
    const startedAtMs = this.nowMs();
    const hasher = this.replica.ledger.beginStateHash();
    let tookMs = this.nowMs() - startedAtMs;
    if (hasher.recordCount <= STATUS_STATE_HASH_AT_ONCE_RECORDS) {
      hasher.hashSome(Number.POSITIVE_INFINITY);
      this.finish(hasher, this.nowMs() - startedAtMs);
      return;
    }
    this.hashing = hasher;
    const slice = () => {
      if (this.hashing !== hasher) return;
      const sliceStartedAtMs = this.nowMs();
      const done = hasher.hashSome(STATUS_STATE_HASH_SLICE_RECORDS);
      tookMs += this.nowMs() - sliceStartedAtMs;
      if (done) this.finish(hasher, tookMs);
      else this.schedule(slice);
    };
    this.schedule(slice);
  }

  private finish(hasher: StateHasher, tookMs: number): void {
    this.hashing = null;
    // Verify may have hashed a later state meanwhile: keep the later one.
    if (hasher.appliedIndex < this.index) return;
    this.hash = hasher.digestHex();
    this.index = hasher.appliedIndex;
    this.computedAtMs = this.nowMs();
    this.tookMs = Math.max(0, tookMs);
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
  const hashes = new StateHashCache(replica, Date.now, () =>
    statusMayHash(replica.status(), config.node.id, config.node.role === 'main'),
  );

  /**
   * An admin or operator handler: it gets the caller as an actor for its command, and every call is
   * logged as an audit event with its outcome.
   */
  const audited = <Request, Response extends { header?: ResponseHeader | null }>(
    action: string,
    describe: (request: Request) => Omit<AuditEvent, 'action' | 'actor' | 'outcome' | 'index'>,
    handler: (request: Request, actor: Actor) => Promise<Response>,
  ) =>
    unary<Request, Response>(context, async (request, call) => {
      const actor = actorOf(call);
      const described = describe(request);
      try {
        const response = await handler(request, actor);
        const applied = response.header?.appliedIndex;
        const index = typeof applied === 'number' ? applied : 0;
        logAudit(context.logger, {
          action,
          actor,
          outcome: 'ok',
          ...described,
          ...(index > 0 ? { index } : {}),
        });
        return response;
      } catch (error) {
        logAudit(context.logger, { action, actor, outcome: outcomeOf(error), ...described });
        throw error;
      }
    });

  /** Records an operator operation outside the ledger (a leadership transfer, a snapshot) in its trail. */
  const recordNote = (action: AuditNoteAction, detail: string, actor: Actor) =>
    execute(replica, { type: 'audit_note', requestId: randomUUID(), action, detail, actor }, policy);

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
    const { hash, index: hashIndex } = hashes.recent();
    return {
      id: config.node.id,
      address: config.node.advertise,
      role: roleToWire(config.node.role),
      state: stateToWire(status.role),
      term: status.term,
      commitIndex: status.commitIndex,
      appliedIndex: status.appliedIndex,
      stateHash: hash,
      stateHashIndex: hashIndex,
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
      security: config.security.insecure ? 'insecure' : 'tls',
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
      stateHashIndex: 0,
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
      security: '',
    };
  };

  /**
   * DrainNode and UndrainNode: the change is a configuration entry on the leader. A drain of the
   * leader itself answers once leadership has moved, so that "drained" means "no longer leads".
   */
  const changeDrain =
    (drained: boolean) =>
    async (request: DrainNodeRequest__Output): Promise<DrainResponse> => {
      requireIdentifier(request.nodeId, 'node_id');
      const target = request.nodeId;
      const member = config.cluster.nodes.find((node) => node.id === target);
      if (target !== config.node.id && member === undefined) {
        throw new NotFoundError('node_id', `node "${target}" is not a member of this cluster`);
      }
      if (member?.role === 'witness') {
        throw new InvalidArgumentError(
          'node_id',
          `"${target}" is the witness, which never leads: only data nodes are drained`,
        );
      }
      // A follower sends the caller to the leader, which is the node that can change the configuration.
      replica.assertLeader();
      const timeoutMs = 2 * config.timing.failoverTimeoutMs;
      const configuration = await replica.setDrained(target, drained, timeoutMs);
      if (drained && target === config.node.id) {
        const deadlineMs = Date.now() + timeoutMs;
        const stillHere = () => {
          const leaderId = replica.status().leaderId;
          return leaderId === null || leaderId === target;
        };
        while (stillHere() && Date.now() < deadlineMs && replica.serving) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        if (stillHere()) {
          throw new OperationalError(
            'transfer_failed',
            `${target} is drained, but no other data node took leadership over within ${timeoutMs} ms; it moves as soon as one is in sync (see tandemctl status)`,
            true,
          );
        }
      }
      const status = replica.status();
      return {
        header: responseHeader(context),
        leaderId: status.leaderId ?? '',
        term: status.term,
        drained: [...(configuration.drained ?? [])],
      };
    };

  return {
    ActivateLicence: audited(
      'activate_licence',
      (request: ActivateLicenceRequest__Output) => ({
        requestId: request.requestId,
        ...describeFile(request.licenceFile),
      }),
      (request, actor) =>
        licenceResult(
          execute(
            replica,
            {
              type: 'activate_licence',
              requestId: request.requestId,
              licenceFile: licenceFileText(request.licenceFile),
              actor,
            },
            policy,
          ),
        ),
    ),
    UpdateLicence: audited(
      'update_licence',
      (request: UpdateLicenceRequest__Output) => ({
        requestId: request.requestId,
        licenceId: request.licenceId,
        ...(request.licenceFile.length > 0 ? { detail: describeFile(request.licenceFile).detail } : {}),
      }),
      (request, actor) =>
        licenceResult(
          execute(
            replica,
            {
              type: 'update_licence',
              requestId: request.requestId,
              licenceId: request.licenceId,
              licenceFile: request.licenceFile.length > 0 ? licenceFileText(request.licenceFile) : null,
              changes: licenceChanges(request),
              actor,
            },
            policy,
          ),
        ),
    ),
    DeactivateLicence: audited(
      'deactivate_licence',
      (request: DeactivateLicenceRequest__Output) => ({
        requestId: request.requestId,
        licenceId: request.licenceId,
      }),
      (request, actor) =>
        licenceResult(
          execute(
            replica,
            { type: 'deactivate_licence', requestId: request.requestId, licenceId: request.licenceId, actor },
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
      if (request.licenceId !== '') requireIdentifier(request.licenceId, 'licence_id');
      if (request.licenceId !== '' && replica.ledger.getLicence(request.licenceId) === undefined) {
        throw new NotFoundError('licence_id', `licence "${request.licenceId}" does not exist`);
      }
      const leases = replica.ledger.listLeases(request.licenceId === '' ? undefined : request.licenceId);
      return { header: responseHeader(context), leases: leases.map(leaseToWire) };
    }),
    RevokeLease: audited(
      'revoke_lease',
      (request: RevokeLeaseRequest__Output) => ({
        requestId: request.requestId,
        leaseId: request.leaseId,
        detail: request.reason,
      }),
      async (request, actor): Promise<RevokeLeaseResponse> => {
        const { outcome, index } = await execute(
          replica,
          {
            type: 'revoke_lease',
            requestId: request.requestId,
            leaseId: request.leaseId,
            reason: request.reason,
            actor,
          },
          policy,
        );
        return {
          header: responseHeader(context, index),
          lease: leaseToWire(expectOutcome(outcome, 'lease').lease),
        };
      },
    ),
    GetUsage: unary(context, (request: GetUsageRequest__Output): GetUsageResponse => {
      replica.assertReadable();
      requireIdentifier(request.licenceId, 'licence_id');
      // grpc-js reads a uint64 into a number: 2^64 - 1 arrives as one the ledger cannot use.
      requireTime(request.atMs, 'at_ms');
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
        drained: [...(status.configuration.drained ?? [])],
        openIncidents: replica.ledger.openIncidentCount(),
        clusterId: replica.ledger.clusterId ?? '',
      };
    }),
    TransferLeadership: audited(
      'transfer_leadership',
      (request: TransferLeadershipRequest__Output) => ({ detail: `to ${request.toNodeId}` }),
      async (request, actor): Promise<TransferLeadershipResponse> => {
        requireIdentifier(request.toNodeId, 'to_node_id');
        const target = request.toNodeId;
        if (target !== config.node.id && !peers.some((peer) => peer.id === target)) {
          throw new NotFoundError('to_node_id', `node "${target}" is not a member of this cluster`);
        }
        // A follower sends the caller to the leader, which is the node that can hand over.
        replica.assertLeader();
        // The request goes into the trail first: the core takes no proposal while it hands over.
        await recordNote('transfer_leadership', `to ${target}`, actor);
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
    DrainNode: audited(
      'drain_node',
      (request: DrainNodeRequest__Output) => ({ detail: request.nodeId }),
      changeDrain(true),
    ),
    UndrainNode: audited(
      'undrain_node',
      (request: UndrainNodeRequest__Output) => ({ detail: request.nodeId }),
      changeDrain(false),
    ),
    Snapshot: audited(
      'snapshot',
      (_request: SnapshotRequest__Output) => ({}),
      async (_request: SnapshotRequest__Output, actor): Promise<SnapshotResponse> => {
        // A leader records the request in the trail (and so in the snapshot); a follower cannot
        // propose, so only its own log has the event.
        if (replica.isLeader()) await recordNote('snapshot', `of ${config.node.id}`, actor);
        const snapshot = await replica.takeSnapshot();
        return {
          header: responseHeader(context),
          index: snapshot.metadata.index,
          term: snapshot.metadata.term,
          sizeBytes: snapshot.data.byteLength,
          stateHash: hashes.current().hash,
        };
      },
    ),
    ListIncidents: unary(context, (request: ListIncidentsRequest__Output): ListIncidentsResponse => {
      replica.assertReadable();
      const incidents = replica.ledger.incidents({ openOnly: request.openOnly });
      return { header: responseHeader(context), incidents: incidents.map(incidentToWire) };
    }),
    ListAudit: unary(context, (request: ListAuditRequest__Output): ListAuditResponse => {
      replica.assertReadable();
      requireTime(request.sinceMs, 'since_ms');
      if (request.licenceId !== '') requireIdentifier(request.licenceId, 'licence_id');
      requireInteger(request.limit, 'limit', 0, AUDIT_PAGE_MAX);
      const page = replica.ledger.auditRecords({
        ...(request.sinceMs > 0 ? { sinceMs: request.sinceMs } : {}),
        ...(request.licenceId === '' ? {} : { licenceId: request.licenceId }),
        limit: request.limit === 0 ? AUDIT_PAGE_DEFAULT : request.limit,
      });
      return {
        header: responseHeader(context),
        records: page.records.map(auditRecordToWire),
        truncated: page.truncated,
      };
    }),
    // Any node answers from its own index (a follower too): the figures come with the applied
    // index they include, and two nodes at the same index answer the same.
    GetReport: unary(context, async (request: GetReportRequest__Output): Promise<GetReportResponse> => {
      const reports = replica.reports;
      if (reports === null)
        throw new OperationalError('not_implemented', 'this node keeps no report index', false);
      if (request.licenceId !== '') requireIdentifier(request.licenceId, 'licence_id');
      requireTime(request.fromMs, 'from_ms');
      requireTime(request.toMs, 'to_ms');
      const maxRows = config.reports.maxRows;
      requireInteger(request.limit, 'limit', 0, maxRows);
      const query = {
        kind: request.kind as ReportKind,
        fromMs: request.fromMs,
        toMs: request.toMs,
        licenceId: request.licenceId === '' ? null : request.licenceId,
        by: (request.by === '' ? 'day' : request.by) as ReportGrouping,
        maxRows: request.limit === 0 ? maxRows : request.limit,
      };
      ReportIndex.check(query);
      return { header: responseHeader(context), ...reportToWire(await reports.query(query)) };
    }),
    Verify: unary(context, async (request: VerifyRequest__Output): Promise<VerifyResponse> => {
      requireInteger(request.waitForIndex, 'wait_for_index', 0, Number.MAX_SAFE_INTEGER);
      const waitForIndex = request.waitForIndex;
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
