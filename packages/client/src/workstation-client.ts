// The workstation library: lease seats, report usage, read a licence. Every logical operation gets
// one request id, reused on every retry, so that the ledger applies it at most once however many
// servers it reaches.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type {
  LeaseResponse__Output,
  LicenceResponse__Output,
  ReleaseLeaseResponse__Output,
  ReportUsageResponse__Output,
} from '@tandem/wire';
import { leaseAnswerFromWire, leaseFromWire, licenceFromWire, parametersToWire } from '@tandem/wire';
import { ClusterConnection, type LeaderInfo } from './cluster-connection.js';
import { InvalidArgumentError, TandemError } from './errors.js';
import { LeaseHandle, type LeaseLostEvent, type LeaseOperations } from './lease-handle.js';
import { type ClientSettings, type ClientSettingsInput, resolveSettings } from './settings.js';
import type { Lease, LicenceView, WorkstationParameters } from './types.js';
import { unaryCall } from './unary-call.js';

export interface AcquireOptions {
  /** Merged over the settings' parameters, which are merged over what the OS says. */
  parameters?: Partial<WorkstationParameters>;
  /** Defaults to the settings' defaultTtlMs. */
  ttlMs?: number;
}

export interface UsageReport {
  licenceId: string;
  periodStartMs: number;
  /** Units used in the period, this report included. */
  used: number;
  /** Units left in the period; null when the licence has no quota. */
  remaining: number | null;
  /** The term of the leader that recorded the report. */
  term: number;
}

/** A limit on leases held at once through one client. */
export const MAX_HELD_LEASES = 10_000;

/** Creates a client. The cluster is contacted lazily, by the first operation. */
export async function connect(settings: ClientSettingsInput | string): Promise<WorkstationClient> {
  return new WorkstationClient(resolveSettings(settings));
}

function systemParameters(): WorkstationParameters {
  let user = '';
  try {
    user = os.userInfo().username;
  } catch {
    // Some containers run as a user without a passwd entry; the parameter is informational.
  }
  return { host: os.hostname(), user, cores: os.availableParallelism(), productVersion: '' };
}

function requireIdentifier(value: string, field: string): void {
  if (typeof value !== 'string' || value === '')
    throw new InvalidArgumentError(field, `${field} is required`);
}

/**
 * Events: 'leader-changed' (LeaderInfo), 'renewed' (Lease), 'lease-lost' (LeaseLostEvent), and
 * 'error' (a renewal that failed but will be retried) only when someone listens for it.
 */
export class WorkstationClient extends EventEmitter {
  readonly settings: ClientSettings;
  readonly workstationId: string;
  readonly connection: ClusterConnection;
  readonly #parameters: WorkstationParameters;
  readonly #leases = new Set<LeaseHandle>();

  constructor(settings: ClientSettings, connection?: ClusterConnection) {
    super();
    this.settings = settings;
    this.connection = connection ?? new ClusterConnection(settings);
    // A connection to every server, kept open: a handover then costs these calls no handshake.
    this.connection.keepConnected();
    // A workstation certificate names the workstation: the server accepts no other id from it.
    const certified = this.connection.certificateIdentity;
    this.workstationId =
      settings.workstationId ?? (certified?.role === 'workstation' ? certified.name : os.hostname());
    this.#parameters = { ...systemParameters(), ...settings.parameters };
    this.connection.on('leader-changed', (leader: LeaderInfo) => this.emit('leader-changed', leader));
  }

  /** The highest term seen in any answer. */
  get term(): number {
    return this.connection.term;
  }

  /** The leader that answered last, or null before the first answer. */
  get leader(): LeaderInfo | null {
    return this.connection.leader;
  }

  /** The leases held (being renewed) through this client. */
  get leases(): LeaseHandle[] {
    return [...this.#leases].filter((handle) => handle.state === 'held');
  }

  async acquire(licenceId: string, options: AcquireOptions = {}): Promise<LeaseHandle> {
    requireIdentifier(licenceId, 'licence_id');
    const ttlMs = options.ttlMs ?? this.settings.defaultTtlMs;
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
      throw new InvalidArgumentError('ttl_ms', `ttlMs must be a positive integer (got ${ttlMs})`);
    }
    // A handle whose release failed is no longer renewed; forget it here.
    for (const handle of this.#leases) if (handle.state !== 'held') this.#leases.delete(handle);
    if (this.#leases.size >= MAX_HELD_LEASES) {
      throw new TandemError('too_many_leases', `this client already holds ${MAX_HELD_LEASES} leases`, {
        retryable: false,
      });
    }
    const request = {
      requestId: randomUUID(),
      licenceId,
      workstationId: this.workstationId,
      parameters: parametersToWire({ ...this.#parameters, ...options.parameters }),
      ttlMs,
    };
    const sentAtLocalMs = performance.now();
    const response = await this.connection.call('AcquireLease', (address, callOptions) =>
      unaryCall<LeaseResponse__Output>((callback) =>
        this.connection.workstationService(address).AcquireLease(request, callOptions, callback),
      ),
    );
    const lease = this.#leaseOf(response);
    const handle = new LeaseHandle(
      lease.ttlMs > 0 ? lease : { ...lease, ttlMs },
      this.#leaseOperations,
      sentAtLocalMs,
      this.settings.renewalGraceMs,
    );
    this.#track(handle);
    return handle;
  }

  async reportUsage(licenceId: string, units: number): Promise<UsageReport> {
    requireIdentifier(licenceId, 'licence_id');
    if (!Number.isSafeInteger(units) || units < 0) {
      throw new InvalidArgumentError('units', `units must be a non-negative integer (got ${units})`);
    }
    const request = { requestId: randomUUID(), licenceId, workstationId: this.workstationId, units };
    const response = await this.connection.call('ReportUsage', (address, callOptions) =>
      unaryCall<ReportUsageResponse__Output>((callback) =>
        this.connection.workstationService(address).ReportUsage(request, callOptions, callback),
      ),
    );
    return {
      licenceId: response.licenceId === '' ? licenceId : response.licenceId,
      periodStartMs: response.periodStartMs,
      used: response.used,
      remaining: response.remaining ?? null,
      term: response.header?.term ?? this.term,
    };
  }

  async getLicence(licenceId: string): Promise<LicenceView> {
    requireIdentifier(licenceId, 'licence_id');
    const response = await this.connection.call('GetLicence', (address, callOptions) =>
      unaryCall<LicenceResponse__Output>((callback) =>
        this.connection.workstationService(address).GetLicence({ licenceId }, callOptions, callback),
      ),
    );
    if (response.licence === null) throw protocolError('GetLicence answered without a licence');
    return licenceFromWire(response.licence);
  }

  /**
   * Resolves true once the connection to every configured server is up (its TLS handshake done),
   * false when timeoutMs (the request timeout by default) pass first. The client connects on its
   * own; this is for a caller that wants its first operation not to wait for handshakes, such as a
   * process starting many workstations at once.
   */
  whenConnected(timeoutMs: number = this.connection.settings.requestTimeoutMs): Promise<boolean> {
    return this.connection.whenConnected(timeoutMs);
  }

  /**
   * Stops every renewal and closes the channels. Leases are not released: call release() on
   * each handle first to free the seats now, otherwise they free themselves when their TTL ends.
   */
  close(): void {
    for (const handle of this.#leases) handle.abandon();
    this.#leases.clear();
    this.connection.close();
  }

  readonly #leaseOperations: LeaseOperations = {
    renew: async (leaseId, untilMs) => {
      // One request id per renewal, shared by that renewal's retries.
      const request = { requestId: randomUUID(), leaseId, ttlMs: 0 };
      const response = await this.connection.call(
        'RenewLease',
        (address, callOptions) =>
          unaryCall<LeaseResponse__Output>((callback) =>
            this.connection.workstationService(address).RenewLease(request, callOptions, callback),
          ),
        { untilMs },
      );
      return this.#answerOf(response);
    },
    release: async (leaseId) => {
      const request = { requestId: randomUUID(), leaseId };
      const response = await this.connection.call('ReleaseLease', (address, callOptions) =>
        unaryCall<ReleaseLeaseResponse__Output>((callback) =>
          this.connection.workstationService(address).ReleaseLease(request, callOptions, callback),
        ),
      );
      return this.#answerOf(response);
    },
  };

  /** A renewal's or release's answer: the lease, or 'intent' (recorded as an intent, pair mode). */
  #answerOf(response: {
    lease: LeaseResponse__Output['lease'];
    recordedAsIntent?: boolean;
  }): Lease | 'intent' {
    const answer = leaseAnswerFromWire(response);
    if (answer === null) throw protocolError('the server answered without a lease');
    return answer;
  }

  #leaseOf(response: { lease: LeaseResponse__Output['lease'] }): Lease {
    if (response.lease === null) throw protocolError('the server answered without a lease');
    return leaseFromWire(response.lease);
  }

  #track(handle: LeaseHandle): void {
    this.#leases.add(handle);
    handle.on('renewed', (lease: Lease) => this.emit('renewed', lease));
    handle.on('released', () => this.#leases.delete(handle));
    handle.on('lease-lost', (event: LeaseLostEvent) => {
      this.#leases.delete(handle);
      this.emit('lease-lost', event);
    });
    // The handle emits 'error' only when someone listens; forward only when someone listens here.
    handle.on('error', (error: unknown) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
  }
}

function protocolError(message: string): TandemError {
  return new TandemError('protocol', message, { retryable: false });
}
