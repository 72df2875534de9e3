// The guard in front of every service: who is calling (authentication), and may they call this
// method (authorization). It wraps each handler of a service before the service is added to a
// server, so that no handler runs for a caller it has not identified and allowed. A refused call
// never reaches a handler, so it never reaches the log.
//
// - Identity: the client certificate's SAN URI `tandem://<role>/<name>` (verified against the
//   listener's CA by TLS; grpc-js shows a certificate only when it verified), or else a bearer
//   token (`authorization: Bearer <token>`) whose sha256 is in the configuration, compared in
//   constant time. Nodes and the witness are known only by certificate.
// - Roles: see METHOD_ROLES. Unauthenticated calls get UNAUTHENTICATED; forbidden ones get
//   PERMISSION_DENIED naming the roles that may call the method.
// - A request body that does not decode is INVALID_ARGUMENT (grpc-js would say INTERNAL).
// - The HTTP port (http-port.ts) goes through the same guard: the same identities, the same roles.
// - Workstation calls are rate limited per identity (RESOURCE_EXHAUSTED, reason rate_limited, with
//   the time to wait in `tandem-retry-after-ms`).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { identityFromCertificate } from '@tandem/pki';
import { RATE_LIMITED_REASON, REASON_KEY, RETRY_AFTER_KEY } from '@tandem/wire';
import type { SecurityConfig, TokenConfig } from './config.js';
import { attachIdentity, type CallerRole, type Identity } from './identity.js';
import type { Logger } from './logger.js';
import { RateLimiter } from './rate-limiter.js';
import { RefusalLog } from './refusal-log.js';

/** Who may call what. Viewer < operator < admin; admin may call everything clients may call. */
const VIEWER: readonly CallerRole[] = ['viewer', 'operator', 'admin'];
const OPERATOR: readonly CallerRole[] = ['operator', 'admin'];
const ADMIN: readonly CallerRole[] = ['admin'];
const WORKSTATION: readonly CallerRole[] = ['workstation', 'admin'];
const NODE: readonly CallerRole[] = ['node'];

export const METHOD_ROLES: Readonly<Record<string, Readonly<Record<string, readonly CallerRole[]>>>> = {
  'tandem.v1.WorkstationService': {
    AcquireLease: WORKSTATION,
    RenewLease: WORKSTATION,
    ReleaseLease: WORKSTATION,
    ReportUsage: WORKSTATION,
    GetLicence: WORKSTATION,
  },
  'tandem.v1.AdminService': {
    ActivateLicence: ADMIN,
    UpdateLicence: ADMIN,
    DeactivateLicence: OPERATOR,
    ListLicences: VIEWER,
    GetLicence: VIEWER,
    ListLeases: VIEWER,
    RevokeLease: OPERATOR,
    GetUsage: VIEWER,
    ClusterStatus: VIEWER,
    TransferLeadership: OPERATOR,
    DrainNode: ADMIN,
    UndrainNode: ADMIN,
    Snapshot: OPERATOR,
    Verify: VIEWER,
    ListIncidents: VIEWER,
    ListAudit: VIEWER,
    GetReport: VIEWER,
  },
  'tandem.v1.PeerService': {
    AppendEntries: NODE,
    AppendEntriesStream: NODE,
    RequestVote: NODE,
    InstallSnapshot: NODE,
    TimeoutNow: NODE,
    MergeOffer: NODE,
  },
  'tandem.v1.WitnessService': {
    RequestVote: NODE,
    RecordInSync: NODE,
    Heartbeat: NODE,
    GetState: NODE,
  },
};

/** What a deserializer returns for a body that does not decode; see isUndecodable. */
const UNDECODABLE = Symbol('undecodable');
interface Undecodable {
  [UNDECODABLE]: string;
}

/** True for a request (or stream item) whose bytes did not decode; the guard answers unary ones. */
export function isUndecodable(message: unknown): message is Undecodable {
  return typeof message === 'object' && message !== null && UNDECODABLE in message;
}

export const UNDECODABLE_DETAILS = 'request: the request body is not a valid protobuf message';

type AuthContext = ReturnType<grpc.ServerUnaryCall<unknown, unknown>['getAuthContext']>;

type AnyCall = {
  metadata: grpc.Metadata;
  getPeer(): string;
  getAuthContext(): AuthContext;
};

export class AuthError extends Error {
  constructor(
    readonly grpcCode:
      | grpc.status.UNAUTHENTICATED
      | grpc.status.PERMISSION_DENIED
      | grpc.status.RESOURCE_EXHAUSTED,
    message: string,
    readonly retryAfterMs: number | null = null,
    /** PERMISSION_DENIED: the roles that may do what was refused. */
    readonly rolesNeeded: readonly CallerRole[] = [],
  ) {
    super(message);
    this.name = 'AuthError';
  }

  toStatus(): Partial<grpc.StatusObject> {
    const metadata = new grpc.Metadata();
    if (this.grpcCode === grpc.status.RESOURCE_EXHAUSTED) {
      metadata.set(REASON_KEY, RATE_LIMITED_REASON);
      if (this.retryAfterMs !== null) metadata.set(RETRY_AFTER_KEY, String(this.retryAfterMs));
    }
    return { code: this.grpcCode, details: this.message, metadata };
  }
}

export interface GuardOptions {
  security: SecurityConfig;
  logger: Logger;
  /** Workstation calls per second per identity and the burst; null disables the limit. */
  workstationRate: { perSecond: number; burst: number } | null;
}

/**
 * One guard per node: it authenticates and authorizes every call on every listener of the node.
 * The token table is replaced on reload (SIGHUP) through setTokens.
 */
export class Guard {
  private tokens: { token: TokenConfig; digest: Buffer }[] = [];
  private readonly refusals: RefusalLog;
  /** Per HTTP/2 session or HTTP socket (one TLS connection): forgotten with the connection. */
  private readonly connections = new WeakMap<object, ConnectionFacts>();
  private readonly rates: RateLimiter | null;

  constructor(private readonly options: GuardOptions) {
    this.setTokens(options.security.tokens);
    this.refusals = new RefusalLog({ logger: options.logger, clock: Date.now });
    this.rates =
      options.workstationRate === null
        ? null
        : new RateLimiter(options.workstationRate.perSecond, options.workstationRate.burst);
  }

  setTokens(tokens: readonly TokenConfig[]): void {
    this.tokens = tokens.map((token) => ({ token, digest: Buffer.from(token.sha256, 'hex') }));
  }

  get insecure(): boolean {
    return this.options.security.insecure;
  }

  /** Who the caller is, or an AuthError (UNAUTHENTICATED). */
  authenticate(call: AnyCall): Identity {
    const connection = this.connectionOf(call);
    const authorization = call.metadata.get('authorization');
    return this.identify(connection, authorization.length > 0 ? authorization[0] : undefined);
  }

  /**
   * The HTTP port's authentication (http-port.ts): the same rules as for a gRPC call, from the TLS
   * socket's verified certificate (worked out once per socket) and the Authorization header.
   */
  authenticateConnection(
    connection: object,
    read: () => { from: string; certificate: PeerCertificate | null },
    authorization: string | undefined,
  ): Identity {
    let facts = this.connections.get(connection);
    if (facts === undefined) {
      const { from, certificate } = read();
      facts = {
        from,
        certified: certificate === null ? null : this.certificateIdentity(certificate),
        hasCertificate: certificate !== null,
      };
      this.connections.set(connection, facts);
    }
    return this.identify(facts, authorization);
  }

  /** A verified certificate's identity first, then a bearer token, then insecure mode's admin. */
  private identify(connection: ConnectionFacts, authorization: grpc.MetadataValue | undefined): Identity {
    const { from, certified, hasCertificate } = connection;
    if (certified !== null) return { ...certified, from };
    if (authorization !== undefined) {
      const token = bearerToken(authorization);
      const found = token === null ? null : this.findToken(token);
      if (found === null)
        throw new AuthError(grpc.status.UNAUTHENTICATED, 'authorization: unknown or malformed bearer token');
      return { name: found.name, role: found.role, via: 'token', from };
    }
    if (this.options.security.insecure) return { name: 'anonymous', role: 'admin', via: 'insecure', from };
    throw new AuthError(
      grpc.status.UNAUTHENTICATED,
      !hasCertificate
        ? 'no credentials: present a client certificate from the cluster CA or a bearer token'
        : 'the client certificate names no Tandem identity (a SAN URI tandem://<role>/<name>) and no token was given',
    );
  }

  /** PERMISSION_DENIED unless the identity's role may call the method. */
  authorize(identity: Identity, service: string, method: string): void {
    const roles = METHOD_ROLES[service]?.[method];
    if (roles === undefined) {
      throw new AuthError(grpc.status.PERMISSION_DENIED, `${service}/${method} is not open to any caller`);
    }
    this.authorizeRoles(identity, roles, method);
  }

  /**
   * PERMISSION_DENIED unless the identity has one of the roles; `what` names the thing asked for in
   * the message. The gRPC methods and the HTTP port's routes share it.
   */
  authorizeRoles(identity: Identity, roles: readonly CallerRole[], what: string): void {
    if (identity.via === 'insecure') return;
    if (!roles.includes(identity.role)) {
      throw new AuthError(
        grpc.status.PERMISSION_DENIED,
        `${what} needs the role ${roles.join(' or ')}; ${identity.name} has the role ${identity.role}`,
        null,
        roles,
      );
    }
    // Tokens never carry the node role (config.ts refuses it); a certificate is the only way in.
    if (identity.role === 'node' && identity.via !== 'certificate') {
      throw new AuthError(
        grpc.status.PERMISSION_DENIED,
        `${what} is for cluster nodes with a node certificate`,
      );
    }
  }

  /** RESOURCE_EXHAUSTED when the identity has used up its workstation calls for now. */
  limitRate(identity: Identity): void {
    if (this.rates === null) return;
    // Without authentication there is no identity to hold to a rate: every caller is "anonymous",
    // and grpc-js shares one connection between the plaintext clients of a process, so neither the
    // name nor the address tells workstations apart. The limit is per identity, so it is off.
    if (identity.via === 'insecure') return;
    const waitMs = this.rates.take(`${identity.role}/${identity.name}`, Date.now());
    if (waitMs > 0) {
      throw new AuthError(
        grpc.status.RESOURCE_EXHAUSTED,
        `rate_limited: ${identity.name} sends more than ${this.options.workstationRate?.perSecond} calls per second; retry in ${waitMs} ms`,
        waitMs,
      );
    }
  }

  /** Logs a refusal, at most once a second per kind (with how many were not logged). */
  logRefusal(kind: string, details: Record<string, unknown>): void {
    this.refusals.note(`guard:${kind}`, `refused ${kind}`, details);
  }

  /**
   * What the TLS connection under a call says of the caller: its address, and the identity its
   * verified certificate names. A certificate belongs to the connection, not to the call, so it is
   * worked out once per connection: Node builds the peer certificate afresh (fingerprints and all)
   * on every getPeerCertificate, which grpc-js calls for every call.
   */
  private connectionOf(call: AnyCall): ConnectionFacts {
    const session = sessionOf(call);
    const known = session === null ? undefined : this.connections.get(session);
    if (known !== undefined) return known;
    const certificate = call.getAuthContext().sslPeerCertificate;
    const facts: ConnectionFacts = {
      from: peerOf(call),
      certified: certificate === undefined ? null : this.certificateIdentity(certificate),
      hasCertificate: certificate !== undefined,
    };
    if (session !== null) this.connections.set(session, facts);
    return facts;
  }

  /** identityFromCertificate caches by the certificate's bytes: no parse per call. */
  private certificateIdentity(
    certificate: NonNullable<AuthContext['sslPeerCertificate']> | PeerCertificate,
  ): Omit<Identity, 'from'> | null {
    const parsed = identityFromCertificate(certificate);
    return parsed === null ? null : { name: parsed.name, role: parsed.role, via: 'certificate' };
  }

  /** Compares against every token, in constant time each, so timing tells nothing of which matched. */
  private findToken(token: string): TokenConfig | null {
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let found: TokenConfig | null = null;
    for (const candidate of this.tokens) {
      if (timingSafeEqual(candidate.digest, digest) && found === null) found = candidate.token;
    }
    return found;
  }
}

interface ConnectionFacts {
  from: string;
  /** The identity the connection's verified certificate names; null without one (or without a URI). */
  certified: Omit<Identity, 'from'> | null;
  hasCertificate: boolean;
}

/**
 * The HTTP/2 session (one connection) under a call, through grpc-js's internals: the public call
 * object holds the intercepting call, which holds the stream of its session. Null when a grpc-js
 * version lays them out otherwise: the guard then works from the call alone, as correct and slower.
 */
function sessionOf(call: AnyCall): object | null {
  let layer = (call as { call?: unknown }).call;
  for (let depth = 0; depth < 4 && typeof layer === 'object' && layer !== null; depth += 1) {
    const session = (layer as { stream?: { session?: unknown } }).stream?.session;
    if (typeof session === 'object' && session !== null) return session;
    layer = (layer as { nextCall?: unknown }).nextCall;
  }
  return null;
}

function bearerToken(value: grpc.MetadataValue | undefined): string | null {
  if (typeof value !== 'string') return null;
  const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(value);
  return match?.[1] ?? null;
}

function peerOf(call: AnyCall): string {
  try {
    return call.getPeer();
  } catch {
    return 'unknown';
  }
}

/** The guarded service: its definition (with tolerant deserializers) and wrapped handlers. */
export interface GuardedService {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

/**
 * Wraps every handler of a service: authenticate, authorize, rate-limit workstation calls, refuse
 * an undecodable unary request; then attach the identity (see identity.ts) and call the handler.
 * Streaming handlers check isUndecodable on each item themselves.
 */
export function guardService(
  guard: Guard,
  serviceName: string,
  definition: grpc.ServiceDefinition,
  implementation: grpc.UntypedServiceImplementation,
): GuardedService {
  const guardedDefinition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const guarded: grpc.UntypedServiceImplementation = {};
  for (const [method, attributes] of Object.entries(definition)) {
    const deserialize = attributes.requestDeserialize;
    guardedDefinition[method] = {
      ...attributes,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return deserialize(bytes);
        } catch (error) {
          return { [UNDECODABLE]: (error as Error).message } satisfies Undecodable;
        }
      },
    };
    const handler = implementation[method] ?? implementation[attributes.originalName ?? ''];
    if (handler === undefined) continue;
    const rateLimited = serviceName === 'tandem.v1.WorkstationService';
    const admit = (call: AnyCall): Identity => {
      const identity = guard.authenticate(call);
      guard.authorize(identity, serviceName, method);
      if (rateLimited) guard.limitRate(identity);
      attachIdentity(call, identity);
      return identity;
    };
    const refuse = (error: unknown, call: AnyCall): Partial<grpc.StatusObject> => {
      if (error instanceof AuthError) {
        guard.logRefusal(grpc.status[error.grpcCode] ?? 'call', {
          method: `${serviceName}/${method}`,
          from: peerOf(call),
          reason: error.message,
        });
        return error.toStatus();
      }
      throw error;
    };
    if (!attributes.requestStream && !attributes.responseStream) {
      const unary = handler as grpc.handleUnaryCall<unknown, unknown>;
      guarded[method] = ((
        call: grpc.ServerUnaryCall<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        try {
          admit(call);
        } catch (error) {
          callback(refuse(error, call));
          return;
        }
        if (isUndecodable(call.request)) {
          const metadata = new grpc.Metadata();
          metadata.set('tandem-field', 'request');
          callback({ code: grpc.status.INVALID_ARGUMENT, details: UNDECODABLE_DETAILS, metadata });
          return;
        }
        unary(call, callback);
      }) as grpc.handleUnaryCall<unknown, unknown>;
    } else if (attributes.requestStream && !attributes.responseStream) {
      const clientStream = handler as grpc.handleClientStreamingCall<unknown, unknown>;
      guarded[method] = ((
        call: grpc.ServerReadableStream<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        try {
          admit(call);
        } catch (error) {
          call.on('data', () => {});
          callback(refuse(error, call));
          return;
        }
        clientStream(call, callback);
      }) as grpc.handleClientStreamingCall<unknown, unknown>;
    } else {
      const streaming = handler as (
        call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
      ) => void;
      guarded[method] = ((
        call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
      ) => {
        try {
          admit(call);
        } catch (error) {
          if ('on' in call && attributes.requestStream)
            (call as grpc.ServerDuplexStream<unknown, unknown>).on('data', () => {});
          call.emit('error', refuse(error, call));
          return;
        }
        streaming(call);
      }) as grpc.UntypedHandleCall;
    }
  }
  return { definition: guardedDefinition as grpc.ServiceDefinition, implementation: guarded };
}
