// The operator's client over AdminService. Ledger operations go to the leader through the same
// ClusterConnection as the workstation library (same routing, retries and fencing); per-node
// questions (status, verify, a node's snapshot) go to one named server, without redirect.
import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { type AuditRecord, readLicenceFile } from '@tandem/ledger';
import type {
  AdminServiceClient,
  ClusterStatusResponse__Output,
  DrainResponse__Output,
  GetReportResponse__Output,
  GetUsageResponse__Output,
  LicenceResponse__Output,
  ListAuditResponse__Output,
  ListIncidentsResponse__Output,
  ListLeasesResponse__Output,
  ListLicencesResponse__Output,
  RevokeLeaseResponse__Output,
  SnapshotResponse__Output,
  TransferLeadershipResponse__Output,
  UpdateLicenceRequest,
  VerifyResponse__Output,
} from '@tandem/wire';
import {
  auditRecordFromWire,
  incidentFromWire,
  leaseFromWire,
  licenceFromWire,
  quotaToWire,
} from '@tandem/wire';
import { type Answer, ClusterConnection, type LeaderInfo } from './cluster-connection.js';
import {
  type ClusterStatus,
  clusterStatusFromWire,
  type SnapshotResult,
  type VerifyResult,
} from './cluster-status.js';
import { InvalidArgumentError, TandemError } from './errors.js';
import { type ClientSettings, type ClientSettingsInput, resolveSettings } from './settings.js';
import type {
  Incident,
  Lease,
  LicenceChanges,
  LicenceSpec,
  LicenceSpecInput,
  LicenceView,
  UsagePeriod,
} from './types.js';
import { unaryCall } from './unary-call.js';

export interface UsageSummary {
  licenceId: string;
  periods: UsagePeriod[];
  totalUsed: number;
}

/** What GetReport is asked: see tandemctl report --help. */
export interface ReportQuery {
  kind: 'usage' | 'leases';
  /** Inclusive, on a whole UTC hour. */
  fromMs: number;
  /** Exclusive, on a whole UTC hour. */
  toMs: number;
  licenceId?: string;
  /** hour, day (the default), week, month or total. */
  by?: string;
  /** At most this many rows (default and most: the node's reports.maxRows). */
  limit?: number;
}

/** One row of a usage report: who, which period, and the figures of the report's kind. */
export interface ReportRowView {
  licenceId: string;
  workstationId: string;
  user: string;
  host: string;
  periodStartMs: number;
  leaseMs: number;
  peakSeats: number;
  grants: number;
  renewals: number;
  releases: number;
  expiries: number;
  revocations: number;
  usageUnits: number;
  usageReports: number;
  /** Refusals by reason, sorted by reason. */
  denials: Record<string, number>;
}

export interface BillingReport {
  /** The node that answered. */
  nodeId: string;
  kind: string;
  fromMs: number;
  toMs: number;
  by: string;
  asOfIndex: number;
  asOfMs: number;
  incomplete: Array<{ fromMs: number; toMs: number; reason: string }>;
  rows: ReportRowView[];
  licences: Array<{
    licenceId: string;
    periodStartMs: number;
    peakSeats: number;
    leaseMs: number;
    usageUnits: number;
  }>;
  truncated: boolean;
}

/** The answer to a drain or undrain: the leader and term then, and every node drained now. */
export interface DrainResult {
  nodeId: string;
  leaderId: string;
  term: number;
  drained: string[];
}

export interface TransferResult {
  leaderId: string;
  term: number;
}

export interface AuditQuery {
  /** Only records at or after this time. */
  sinceMs?: number;
  /** Only records about this licence. */
  licenceId?: string;
  /** At most this many, the most recent (the server's default is 1000, its limit 10,000). */
  limit?: number;
}

export interface AuditPage {
  /** Oldest first. */
  records: AuditRecord[];
  /** More records matched than the limit; the oldest of them were left out. */
  truncated: boolean;
}

/** A licence file as the vendor's tandem-issuer wrote it: its text or its bytes. */
export type LicenceFileInput = string | Uint8Array;

function licenceFileBytes(file: LicenceFileInput): Buffer {
  return typeof file === 'string' ? Buffer.from(file, 'utf8') : Buffer.from(file);
}

type Invoke<Response> = (
  service: AdminServiceClient,
  callOptions: grpc.CallOptions,
  callback: grpc.requestCallback<Response>,
) => unknown;

function requireIdentifier(value: string, field: string): void {
  if (typeof value !== 'string' || value === '')
    throw new InvalidArgumentError(field, `${field} is required`);
}

/** Fills the optional parts of a licence spec with the ledger's defaults. */
export function completeLicenceSpec(spec: LicenceSpecInput): LicenceSpec {
  return {
    licenceId: spec.licenceId,
    product: spec.product,
    seats: spec.seats,
    quota: spec.quota ?? null,
    validFromMs: spec.validFromMs ?? 0,
    validUntilMs: spec.validUntilMs ?? 0,
    redundancy: spec.redundancy ?? false,
    features: { ...spec.features },
  };
}

/** The UpdateLicence request for a set of changes: present fields change, absent ones stay. */
export function updateRequest(
  requestId: string,
  licenceId: string,
  changes: LicenceChanges,
): UpdateLicenceRequest {
  const request: UpdateLicenceRequest = { requestId, licenceId };
  if (changes.product !== undefined) request.product = changes.product;
  if (changes.seats !== undefined) request.seats = changes.seats;
  if (changes.quota === null) request.clearQuota = true;
  else if (changes.quota !== undefined) request.quota = quotaToWire(changes.quota);
  if (changes.validFromMs !== undefined) request.validFromMs = changes.validFromMs;
  if (changes.validUntilMs !== undefined) request.validUntilMs = changes.validUntilMs;
  if (changes.redundancy !== undefined) request.redundancy = changes.redundancy;
  if (changes.features !== undefined) {
    request.features = { ...changes.features };
    request.replaceFeatures = true;
  }
  return request;
}

export class AdminClient {
  readonly connection: ClusterConnection;

  constructor(settings: ClientSettings, connection?: ClusterConnection) {
    this.connection = connection ?? new ClusterConnection(settings);
  }

  /** Creates an admin client from a settings file path or object. The cluster is contacted lazily. */
  static async connect(settings: ClientSettingsInput | string): Promise<AdminClient> {
    return new AdminClient(resolveSettings(settings));
  }

  get term(): number {
    return this.connection.term;
  }

  get leader(): LeaderInfo | null {
    return this.connection.leader;
  }

  /** Activates the licence a vendor-signed licence file describes. */
  async activateLicence(licenceFile: LicenceFileInput): Promise<LicenceView> {
    const request = { requestId: randomUUID(), licenceFile: licenceFileBytes(licenceFile) };
    if (request.licenceFile.length === 0)
      throw new InvalidArgumentError('licence_file', 'licence_file is required');
    const response = await this.#call<LicenceResponse__Output>(
      'ActivateLicence',
      (service, options, callback) => service.ActivateLicence(request, options, callback),
    );
    return licenceOf(response);
  }

  /**
   * Installs a newer licence file from the vendor (a higher serial) for the licence it names: its
   * terms replace the licence's, and any operator change with them.
   */
  async updateLicenceFromFile(licenceFile: LicenceFileInput): Promise<LicenceView> {
    const bytes = licenceFileBytes(licenceFile);
    const reading = readLicenceFile(bytes.toString('utf8'));
    if (!reading.ok) throw new InvalidArgumentError('licence_file', `the licence file ${reading.problem}`);
    const request = { requestId: randomUUID(), licenceId: reading.file.terms.licenceId, licenceFile: bytes };
    const response = await this.#call<LicenceResponse__Output>(
      'UpdateLicence',
      (service, options, callback) => service.UpdateLicence(request, options, callback),
    );
    return licenceOf(response);
  }

  /** Operator changes; each must stay within what the vendor signed (licence_limit_exceeded otherwise). */
  async updateLicence(licenceId: string, changes: LicenceChanges): Promise<LicenceView> {
    requireIdentifier(licenceId, 'licence_id');
    const request = updateRequest(randomUUID(), licenceId, changes);
    const response = await this.#call<LicenceResponse__Output>(
      'UpdateLicence',
      (service, options, callback) => service.UpdateLicence(request, options, callback),
    );
    return licenceOf(response);
  }

  async deactivateLicence(licenceId: string): Promise<LicenceView> {
    requireIdentifier(licenceId, 'licence_id');
    const request = { requestId: randomUUID(), licenceId };
    const response = await this.#call<LicenceResponse__Output>(
      'DeactivateLicence',
      (service, options, callback) => service.DeactivateLicence(request, options, callback),
    );
    return licenceOf(response);
  }

  async listLicences(): Promise<LicenceView[]> {
    const response = await this.#call<ListLicencesResponse__Output>(
      'ListLicences',
      (service, options, callback) => service.ListLicences({}, options, callback),
    );
    return response.licences.map(licenceFromWire);
  }

  async getLicence(licenceId: string): Promise<LicenceView> {
    requireIdentifier(licenceId, 'licence_id');
    const response = await this.#call<LicenceResponse__Output>('GetLicence', (service, options, callback) =>
      service.GetLicence({ licenceId }, options, callback),
    );
    return licenceOf(response);
  }

  /** Every live lease, or those of one licence. */
  async listLeases(licenceId?: string): Promise<Lease[]> {
    const response = await this.#call<ListLeasesResponse__Output>(
      'ListLeases',
      (service, options, callback) => service.ListLeases({ licenceId: licenceId ?? '' }, options, callback),
    );
    return response.leases.map(leaseFromWire);
  }

  async revokeLease(leaseId: string, reason: string): Promise<Lease> {
    requireIdentifier(leaseId, 'lease_id');
    const request = { requestId: randomUUID(), leaseId, reason };
    const response = await this.#call<RevokeLeaseResponse__Output>(
      'RevokeLease',
      (service, options, callback) => service.RevokeLease(request, options, callback),
    );
    if (response.lease === null) throw protocolError('RevokeLease answered without a lease');
    return leaseFromWire(response.lease);
  }

  /** Every recorded period, or (with atMs) the period containing that time. */
  async getUsage(licenceId: string, atMs = 0): Promise<UsageSummary> {
    requireIdentifier(licenceId, 'licence_id');
    const response = await this.#call<GetUsageResponse__Output>('GetUsage', (service, options, callback) =>
      service.GetUsage({ licenceId, atMs }, options, callback),
    );
    return {
      licenceId: response.licenceId === '' ? licenceId : response.licenceId,
      periods: response.periods.map((period) => ({
        periodStartMs: period.periodStartMs,
        periodEndMs: period.periodEndMs,
        used: period.used,
        quota: period.quota,
        reports: period.reports,
      })),
      totalUsed: response.totalUsed,
    };
  }

  /**
   * Overdraft incidents in the leader's ledger, in the order they were opened: every open one and
   * the most recently resolved, or (openOnly) only the open ones.
   */
  async listIncidents(options: { openOnly?: boolean } = {}): Promise<Incident[]> {
    const request = { openOnly: options.openOnly === true };
    const response = await this.#call<ListIncidentsResponse__Output>(
      'ListIncidents',
      (service, callOptions, callback) => service.ListIncidents(request, callOptions, callback),
    );
    return response.incidents.map(incidentFromWire);
  }

  /** The ledger's audit trail: the most recent records that match, oldest first. */
  async listAudit(query: AuditQuery = {}): Promise<AuditPage> {
    if (query.licenceId !== undefined) requireIdentifier(query.licenceId, 'licence_id');
    const request = {
      sinceMs: query.sinceMs ?? 0,
      licenceId: query.licenceId ?? '',
      limit: query.limit ?? 0,
    };
    const response = await this.#call<ListAuditResponse__Output>('ListAudit', (service, options, callback) =>
      service.ListAudit(request, options, callback),
    );
    return { records: response.records.map(auditRecordFromWire), truncated: response.truncated };
  }

  /**
   * A usage report for billing, from the node at `address` (each node answers from its own index),
   * or from the first server that answers.
   */
  async getReport(query: ReportQuery, address?: string): Promise<BillingReport> {
    if (query.licenceId !== undefined) requireIdentifier(query.licenceId, 'licence_id');
    const request = {
      kind: query.kind,
      fromMs: query.fromMs,
      toMs: query.toMs,
      licenceId: query.licenceId ?? '',
      by: query.by ?? '',
      limit: query.limit ?? 0,
    };
    const invoke: Invoke<GetReportResponse__Output> = (service, options, callback) =>
      service.GetReport(request, options, callback);
    const response =
      address === undefined ? await this.#call('GetReport', invoke) : await this.#callNode(address, invoke);
    return {
      nodeId: response.header?.nodeId ?? '',
      kind: response.kind,
      fromMs: response.fromMs,
      toMs: response.toMs,
      by: response.by,
      asOfIndex: response.asOfIndex,
      asOfMs: response.asOfMs,
      incomplete: response.incomplete.map((gap) => ({
        fromMs: gap.fromMs,
        toMs: gap.toMs,
        reason: gap.reason,
      })),
      rows: response.rows.map((row) => ({
        licenceId: row.licenceId,
        workstationId: row.workstationId,
        user: row.user,
        host: row.host,
        periodStartMs: row.periodStartMs,
        leaseMs: row.leaseMs,
        peakSeats: row.peakSeats,
        grants: row.grants,
        renewals: row.renewals,
        releases: row.releases,
        expiries: row.expiries,
        revocations: row.revocations,
        usageUnits: row.usageUnits,
        usageReports: row.usageReports,
        denials: Object.fromEntries(
          Object.entries(row.denials).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        ),
      })),
      licences: response.licences.map((line) => ({
        licenceId: line.licenceId,
        periodStartMs: line.periodStartMs,
        peakSeats: line.peakSeats,
        leaseMs: line.leaseMs,
        usageUnits: line.usageUnits,
      })),
      truncated: response.truncated,
    };
  }

  /**
   * The cluster id that licence files must be issued for, as the first server that answers recorded
   * it; '' while a fresh cluster's leader has not recorded it yet.
   */
  async clusterId(): Promise<string> {
    const response = await this.#call<ClusterStatusResponse__Output>(
      'ClusterStatus',
      (service, options, callback) => service.ClusterStatus({}, options, callback),
    );
    return response.clusterId;
  }

  /** Snapshots the leader, or the node at `address` when given. */
  async snapshot(address?: string): Promise<SnapshotResult> {
    const invoke: Invoke<SnapshotResponse__Output> = (service, options, callback) =>
      service.Snapshot({}, options, callback);
    const response =
      address === undefined ? await this.#call('Snapshot', invoke) : await this.#callNode(address, invoke);
    return {
      nodeId: response.header?.nodeId ?? '',
      index: response.index,
      term: response.term,
      sizeBytes: response.sizeBytes,
      stateHash: response.stateHash,
    };
  }

  async transferLeadership(toNodeId: string): Promise<TransferResult> {
    requireIdentifier(toNodeId, 'to_node_id');
    const response = await this.#call<TransferLeadershipResponse__Output>(
      'TransferLeadership',
      (service, options, callback) => service.TransferLeadership({ toNodeId }, options, callback),
    );
    return { leaderId: response.leaderId, term: response.header?.term ?? this.term };
  }

  /**
   * Drains a data node for maintenance (at the leader): it stops leading and is not handed
   * leadership back until undrained. Answers once leadership has moved off it.
   */
  async drainNode(nodeId: string): Promise<DrainResult> {
    return this.#changeDrain(nodeId, true);
  }

  /** Undrains a data node: the main takes leadership back once it is in sync. */
  async undrainNode(nodeId: string): Promise<DrainResult> {
    return this.#changeDrain(nodeId, false);
  }

  async #changeDrain(nodeId: string, drained: boolean): Promise<DrainResult> {
    requireIdentifier(nodeId, 'node_id');
    const invoke: Invoke<DrainResponse__Output> = drained
      ? (service, options, callback) => service.DrainNode({ nodeId }, options, callback)
      : (service, options, callback) => service.UndrainNode({ nodeId }, options, callback);
    const response = await this.#call<DrainResponse__Output>(drained ? 'DrainNode' : 'UndrainNode', invoke);
    return { nodeId, leaderId: response.leaderId, term: response.term, drained: [...response.drained] };
  }

  /** What the node at `address` says about itself and its peers. One attempt, no redirect. */
  async nodeStatus(address: string): Promise<ClusterStatus> {
    const response = await this.#callNode<ClusterStatusResponse__Output>(
      address,
      (service, options, callback) => service.ClusterStatus({}, options, callback),
    );
    return clusterStatusFromWire(address, response);
  }

  /**
   * The node's applied index, state hash and log hash chain, after it has applied `waitForIndex`
   * (if it can, briefly); the chain is taken at `waitForIndex` when the node still remembers it.
   */
  async verify(address: string, waitForIndex = 0): Promise<VerifyResult> {
    const response = await this.#callNode<VerifyResponse__Output>(address, (service, options, callback) =>
      service.Verify({ waitForIndex }, options, callback),
    );
    return {
      address,
      nodeId: response.nodeId,
      appliedIndex: response.appliedIndex,
      stateHash: response.stateHash,
      logHash: response.logHash,
      logHashIndex: response.logHashIndex,
      term: response.header?.term ?? 0,
    };
  }

  close(): void {
    this.connection.close();
  }

  #call<Response extends Answer>(operation: string, invoke: Invoke<Response>): Promise<Response> {
    return this.connection.call(operation, (address, callOptions) =>
      unaryCall<Response>((callback) => invoke(this.connection.adminService(address), callOptions, callback)),
    );
  }

  #callNode<Response extends Answer>(address: string, invoke: Invoke<Response>): Promise<Response> {
    return this.connection.callNode(address, (target, callOptions) =>
      unaryCall<Response>((callback) => invoke(this.connection.adminService(target), callOptions, callback)),
    );
  }
}

function licenceOf(response: LicenceResponse__Output): LicenceView {
  if (response.licence === null) throw protocolError('the server answered without a licence');
  return licenceFromWire(response.licence);
}

function protocolError(message: string): TandemError {
  return new TandemError('protocol', message, { retryable: false });
}
