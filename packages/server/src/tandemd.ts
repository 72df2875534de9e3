// A running tandemd: storage, replica and the gRPC server, started and stopped together.

import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { LevelStorage } from '@tandem/storage';
import { loadTandemProto, packageDefinition } from '@tandem/wire';
import { HealthImplementation } from 'grpc-health-check';
import { adminService, VERSION } from './admin-service.js';
import { Guard } from './auth.js';
import { ledgerOptionsOf } from './cluster-id.js';
import type { TandemConfig } from './config.js';
import { mainNodeId, witnessOf } from './config.js';
import { consoleRoutes } from './console-api.js';
import { ConsoleHistory, type UtilisationSource } from './console-history.js';
import type { CrashPoints } from './crash-points.js';
import type { EdgeContext } from './edge.js';
import { HttpPort } from './http-port.js';
import { addGuarded, bind, serverOptions, widenReceiveWindows } from './listener.js';
import type { Logger } from './logger.js';
import { NodeCredentials } from './node-credentials.js';
import { NodeMetrics } from './node-metrics.js';
import { operationPolicy } from './operations.js';
import { PeerContacts } from './peer-contact.js';
import { peerService } from './peer-service.js';
import { PeerTransport, peerTimings } from './peer-transport.js';
import { PendingResponses } from './pending-responses.js';
import { RefusalLog } from './refusal-log.js';
import { initialConfiguration, Replica } from './replica.js';
import { SnapshotReceiver } from './snapshot-stream.js';
import { workstationService } from './workstation-service.js';

const CLIENT_SERVICES = ['tandem.v1.WorkstationService', 'tandem.v1.AdminService'];
const SERVICES = [...CLIENT_SERVICES, 'tandem.v1.PeerService'];

/** RPCs of one kind from the peer that may wait for the core's answer at once. */
const MAX_WAITING_PEER_RPCS = 256;

/** What a node may be given besides its configuration. */
export interface TandemdExtras {
  /** Test-only failpoints (see crash-points.ts), armed by main.ts from the environment. */
  crashPoints?: CrashPoints;
  /**
   * Where the console's utilisation chart reads seats over time; the node's own in-memory samples
   * (console-history.ts) without one. The seam for a durable history such as a report index.
   */
  utilisation?: UtilisationSource;
}

/**
 * After handing leadership over before a stop, this node answers this long more (as a follower that
 * names the new leader) so that clients still sending here are redirected rather than refused.
 */
export const HAND_OVER_LINGER_MS = 200;

export class Tandemd {
  private constructor(
    readonly config: TandemConfig,
    readonly replica: Replica,
    private readonly server: grpc.Server,
    /** The peer port's server (pair and witness mode); null in single mode. */
    private readonly peerServer: grpc.Server | null,
    private readonly credentials: NodeCredentials,
    readonly guard: Guard,
    private readonly storage: LevelStorage,
    private readonly health: HealthImplementation,
    private readonly logger: Logger,
    /** The bound address, with the real port when the configuration asked for port 0. */
    readonly address: string,
    /** The peer port's bound address; null in single mode. */
    readonly peerAddress: string | null,
    private readonly peers: { transport: PeerTransport; responses: PendingResponses } | null,
    /** The node's Prometheus metrics; render() is what GET /metrics answers. */
    readonly metrics: NodeMetrics,
    /** The HTTP port (console, JSON API) and its sampler; null without node.httpListen. */
    private readonly http: { port: HttpPort; history: ConsoleHistory } | null,
  ) {}

  /** The HTTP port's bound address; null without node.httpListen. */
  get httpAddress(): string | null {
    return this.http?.port.address ?? null;
  }

  static async start(config: TandemConfig, logger: Logger, extras: TandemdExtras = {}): Promise<Tandemd> {
    const { crashPoints } = extras;
    // Certificates first: a node that cannot prove who it is must not open its storage or serve.
    const credentials = NodeCredentials.load(config, logger);
    const guard = new Guard({
      security: config.security,
      logger,
      workstationRate: {
        perSecond: config.limits.workstationCallsPerSecond,
        burst: config.limits.workstationCallBurst,
      },
    });
    const metrics = new NodeMetrics({
      nodeId: config.node.id,
      role: config.node.role,
      version: VERSION,
      dataMembers: initialConfiguration(config).inSync,
      mainId: mainNodeId(config),
      tickIntervalMs: config.timing.tickIntervalMs,
    });
    const storage = await LevelStorage.open(config.node.dataDir, { observer: metrics.storage });
    const clock = () => Date.now();
    const pair = config.cluster.mode !== 'single';
    const timings = peerTimings(config);
    const peerIds = config.cluster.nodes.filter((node) => node.id !== config.node.id).map((node) => node.id);
    // A peer counts as reachable while it was heard from within a failover timeout.
    const contacts = new PeerContacts(peerIds, clock, config.timing.failoverTimeoutMs);
    const responses = new PendingResponses(MAX_WAITING_PEER_RPCS);
    // Refused peer messages, from the edge and from the core, at most one line a second per kind.
    const refusals = new RefusalLog({ logger, clock });
    const wire = {
      voters: initialConfiguration(config).voters,
      witnessId: witnessOf(config)?.id ?? null,
      ledger: ledgerOptionsOf(config),
    };
    const transport = pair
      ? new PeerTransport({
          config,
          logger,
          responses,
          contacts,
          clock,
          credentials,
          loadSnapshot: () => storage.loadSnapshot(),
        })
      : null;
    const replica = await Replica.open({
      config,
      storage,
      logger,
      clock,
      ...(transport === null ? {} : { transport }),
      ...(crashPoints === undefined ? {} : { crashPoints }),
      refusals,
      roleChanged: (previous, change) => metrics.consensus.roleChanged(previous, change),
      reportArea: storage.area('reports'),
    });
    transport?.attach(replica);
    metrics.watch({ replica, certificates: () => credentials.notAfterMs() });
    const proto = loadTandemProto();
    const server = new grpc.Server(serverOptions(config));
    let advertised = config.node.advertise;
    const context: EdgeContext = {
      nodeId: config.node.id,
      role: config.node.role,
      logger,
      status: () => replica.status(),
      addressOf: (nodeId) =>
        nodeId === config.node.id
          ? advertised
          : (config.cluster.nodes.find((node) => node.id === nodeId)?.address ?? null),
    };
    addGuarded(
      server,
      guard,
      'tandem.v1.WorkstationService',
      proto.tandem.v1.WorkstationService.service,
      workstationService(context, replica, operationPolicy(config)),
      metrics.rpc,
    );
    const admin = adminService(context, replica, config, Date.now(), contacts);
    addGuarded(
      server,
      guard,
      'tandem.v1.AdminService',
      proto.tandem.v1.AdminService.service,
      admin,
      metrics.rpc,
    );
    const health = new HealthImplementation(
      Object.fromEntries(['', ...SERVICES].map((name) => [name, 'NOT_SERVING'])),
    );
    // Health stays open to anyone (load balancers, systemd probes); it says nothing of the ledger.
    health.addToServer(server);
    if (config.security.reflection) {
      // Only the client services: the peer API is nobody's business but the peer's.
      new ReflectionService(packageDefinition(), { services: CLIENT_SERVICES }).addToServer(server);
      logger.warn('gRPC reflection is on (reflection: true): the client services can be listed by anyone');
    }
    let peerServer: grpc.Server | null = null;
    if (pair) {
      peerServer = new grpc.Server(serverOptions(config));
      addGuarded(
        peerServer,
        guard,
        'tandem.v1.PeerService',
        proto.tandem.v1.PeerService.service,
        peerService({
          context,
          replica,
          responses,
          contacts,
          timings,
          wire,
          refusals,
          receiver: new SnapshotReceiver(config.limits.maxSnapshotBytes, wire),
          witnessId: witnessOf(config)?.id ?? null,
        }),
        metrics.rpc,
      );
    }

    const port = await bind(
      server,
      config.node.listen,
      'node.listen',
      credentials.clientListener(),
      config,
      logger,
    );
    const host = config.node.listen.slice(0, config.node.listen.lastIndexOf(':'));
    const address = `${host}:${port}`;
    if (config.node.advertise.endsWith(':0')) advertised = address;
    let peerAddress: string | null = null;
    if (peerServer !== null && config.node.peerListen !== null) {
      const peerPort = await bind(
        peerServer,
        config.node.peerListen,
        'node.peerListen',
        credentials.peerListener(),
        config,
        logger,
      ).catch((error: unknown) => {
        server.forceShutdown();
        throw error;
      });
      if (!widenReceiveWindows(peerServer, config, logger)) {
        logger.warn(
          'the peer listener keeps HTTP/2 windows of 64 KiB: this grpc-js version hides its http2 servers',
        );
      }
      peerAddress = `${config.node.peerListen.slice(0, config.node.peerListen.lastIndexOf(':'))}:${peerPort}`;
    }
    let http: { port: HttpPort; history: ConsoleHistory } | null = null;
    if (config.node.httpListen !== null) {
      // The console reads the admin handlers in-process, as the HTTP caller (console-api.ts).
      const history = new ConsoleHistory(replica);
      const port = await HttpPort.start({
        listen: config.node.httpListen,
        credentials,
        guard,
        logger,
        maxConnections: config.limits.maxConnections,
        routes: consoleRoutes({
          nodeId: config.node.id,
          admin,
          history,
          appliedIndex: () => replica.status().appliedIndex,
          serving: () => replica.serving,
          consoles: config.cluster.nodes.flatMap((node) =>
            node.httpAddress === null
              ? []
              : [
                  {
                    nodeId: node.id,
                    url: `${credentials.insecure ? 'http' : 'https'}://${node.httpAddress}/`,
                  },
                ],
          ),
          // GET /metrics (viewer and up): the node's own Prometheus registry.
          metrics,
          ...(extras.utilisation === undefined ? {} : { utilisation: extras.utilisation }),
        }),
      }).catch((error: unknown) => {
        server.forceShutdown();
        peerServer?.forceShutdown();
        throw error;
      });
      http = { port, history };
    }

    const tandemd = new Tandemd(
      config,
      replica,
      server,
      peerServer,
      credentials,
      guard,
      storage,
      health,
      logger,
      address,
      peerAddress,
      transport === null ? null : { transport, responses },
      metrics,
      http,
    );
    replica.onFatal = (error) => {
      logger.error('fatal replica error, exiting', { error: error.message });
      void tandemd.stop().finally(() => process.exit(1));
    };
    replica.start();
    http?.history.start();
    // A cluster of one elects itself at once; say "listening" only when it can serve, so that a
    // client that waited for that line is never turned away. A node of a pair serves as soon as it
    // listens: a follower answers reads and status and sends writers to the leader.
    if (config.cluster.mode === 'single')
      await replica.waitForLeadership(config.timing.failoverTimeoutMs * 5);
    for (const name of ['', ...SERVICES]) health.setStatus(name, 'SERVING');
    logger.info('listening', {
      address,
      peerAddress,
      httpAddress: http?.port.address ?? null,
      security: credentials.insecure ? 'insecure' : 'tls',
      mode: config.cluster.mode,
      role: config.node.role,
      dataDir: config.node.dataDir,
    });
    return tandemd;
  }

  /**
   * SIGHUP: certificates and keys read again (a pair that does not fit is refused, and the one in
   * use stays), and the tokens taken from the configuration given (the file read again).
   */
  reload(config: TandemConfig | null): void {
    this.credentials.reload();
    if (config !== null) {
      this.guard.setTokens(config.security.tokens);
      this.logger.info('reload: tokens taken from the configuration', {
        tokens: config.security.tokens.length,
      });
    }
  }

  /**
   * Before a planned stop (SIGTERM, SIGINT), so that it costs the clients no gap:
   * 1. a leader with a caught-up peer hands leadership to it (timeout_now: the peer campaigns at
   *    once) and waits up to the failover timeout for it to take over; operations in flight here are
   *    answered with the new leader's name, so that clients go there at once;
   * 2. a follower in the in-sync set (a leader that handed over included) asks the leader to drop
   *    it from the set (RaftNode.leave) and waits up to the failover timeout until it has, so that
   *    the leader commits without it at once instead of after a failover timeout of silence;
   * 3. it answers HAND_OVER_LINGER_MS more, as a follower that names the leader.
   * Without a caught-up peer a leader stops at once (and says why): the stop is then a failover.
   */
  async prepareStop(): Promise<void> {
    if (this.config.cluster.mode === 'single') return;
    const moved = await this.handOverLeadership();
    if (this.replica.isLeader()) return;
    const left = await this.leaveInSyncSet();
    if (moved || left) await new Promise((resolve) => setTimeout(resolve, HAND_OVER_LINGER_MS));
  }

  /** Step 1 of prepareStop; returns whether leadership moved. */
  private async handOverLeadership(): Promise<boolean> {
    if (!this.replica.isLeader()) return false;
    const target = this.replica.handOverTarget();
    if ('reason' in target) {
      this.logger.warn('stopping without handing leadership over', { reason: target.reason });
      return false;
    }
    const timeoutMs = this.config.timing.failoverTimeoutMs;
    const startedAtMs = Date.now();
    this.logger.info('handing leadership over before stopping', { to: target.peer });
    try {
      this.replica.transferLeadership(target.peer);
    } catch (error) {
      this.logger.warn('stopping without handing leadership over', { reason: (error as Error).message });
      return false;
    }
    const moved = () => !this.replica.isLeader() && this.replica.status().leaderId !== null;
    while (!moved() && Date.now() - startedAtMs < timeoutMs && this.replica.serving) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    if (!moved()) {
      this.logger.warn('stopping without handing leadership over', {
        reason: `${target.peer} did not take over within ${timeoutMs} ms`,
      });
      return false;
    }
    this.logger.info('handed leadership over', {
      to: this.replica.status().leaderId,
      term: this.replica.status().term,
      tookMs: Date.now() - startedAtMs,
    });
    return true;
  }

  /** Step 2 of prepareStop; returns whether this node left the leader's in-sync set. */
  private async leaveInSyncSet(): Promise<boolean> {
    const id = this.config.node.id;
    const inSync = () => this.replica.status().configuration.inSync.includes(id);
    if (!inSync() || this.replica.status().leaderId === null) return false;
    const timeoutMs = this.config.timing.failoverTimeoutMs;
    const startedAtMs = Date.now();
    this.replica.leave();
    while (inSync() && Date.now() - startedAtMs < timeoutMs && this.replica.serving) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    if (inSync()) {
      this.logger.warn('stopping while still in the in-sync set', {
        reason: `the leader did not drop this node within ${timeoutMs} ms`,
      });
      return false;
    }
    this.logger.info('left the in-sync set before stopping', { tookMs: Date.now() - startedAtMs });
    return true;
  }

  /** Graceful shutdown: stop taking requests, let the batch in flight finish, close storage. */
  async stop(): Promise<void> {
    for (const name of ['', ...SERVICES]) this.health.setStatus(name, 'NOT_SERVING');
    this.http?.history.stop();
    const httpClosed = this.http?.port.close() ?? Promise.resolve();
    const shutDown = (server: grpc.Server) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    const servers = [shutDown(this.server), ...(this.peerServer === null ? [] : [shutDown(this.peerServer)])];
    // Peer RPCs waiting for the core are answered now (as refusals), so that the server can finish.
    this.peers?.responses.clear();
    await Promise.all([...servers, httpClosed]);
    await this.replica.stop();
    this.peers?.transport.close();
    this.credentials.close();
    await this.storage.close();
    this.logger.info('stopped');
  }
}
