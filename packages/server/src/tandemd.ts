// A running tandemd: storage, replica and the gRPC server, started and stopped together.

import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { LevelStorage } from '@tandem/storage';
import { loadTandemProto, packageDefinition } from '@tandem/wire';
import { HealthImplementation } from 'grpc-health-check';
import { adminService } from './admin-service.js';
import type { TandemConfig } from './config.js';
import { witnessOf } from './config.js';
import type { CrashPoints } from './crash-points.js';
import type { EdgeContext } from './edge.js';
import type { Logger } from './logger.js';
import { operationPolicy } from './operations.js';
import { PeerContacts } from './peer-contact.js';
import { peerService, singleModePeerService } from './peer-service.js';
import { PeerTransport, peerTimings } from './peer-transport.js';
import { PendingResponses } from './pending-responses.js';
import { RefusalLog } from './refusal-log.js';
import { initialConfiguration, Replica } from './replica.js';
import { SnapshotReceiver } from './snapshot-stream.js';
import { workstationService } from './workstation-service.js';

const SERVICES = ['tandem.v1.WorkstationService', 'tandem.v1.AdminService', 'tandem.v1.PeerService'];

/** RPCs of one kind from the peer that may wait for the core's answer at once. */
const MAX_WAITING_PEER_RPCS = 256;

export class Tandemd {
  private constructor(
    readonly config: TandemConfig,
    readonly replica: Replica,
    private readonly server: grpc.Server,
    private readonly storage: LevelStorage,
    private readonly health: HealthImplementation,
    private readonly logger: Logger,
    /** The bound address, with the real port when the configuration asked for port 0. */
    readonly address: string,
    private readonly peers: { transport: PeerTransport; responses: PendingResponses } | null,
  ) {}

  /** crashPoints: test-only failpoints (see crash-points.ts), armed by main.ts from the environment. */
  static async start(config: TandemConfig, logger: Logger, crashPoints?: CrashPoints): Promise<Tandemd> {
    const storage = await LevelStorage.open(config.node.dataDir);
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
      ledger: config.ledger,
    };
    const transport = pair
      ? new PeerTransport({
          config,
          logger,
          responses,
          contacts,
          clock,
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
    });
    transport?.attach(replica);
    const proto = loadTandemProto();
    const server = new grpc.Server({
      'grpc.max_receive_message_length': config.limits.maxRequestBytes,
    });
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
    server.addService(
      proto.tandem.v1.WorkstationService.service,
      workstationService(context, replica, operationPolicy(config)),
    );
    server.addService(
      proto.tandem.v1.AdminService.service,
      adminService(context, replica, config, Date.now(), contacts),
    );
    server.addService(
      proto.tandem.v1.PeerService.service,
      pair
        ? peerService({
            context,
            replica,
            responses,
            contacts,
            timings,
            wire,
            refusals,
            receiver: new SnapshotReceiver(config.limits.maxSnapshotBytes, wire),
            witnessId: witnessOf(config)?.id ?? null,
          })
        : singleModePeerService(context),
    );
    const health = new HealthImplementation(
      Object.fromEntries(['', ...SERVICES].map((name) => [name, 'NOT_SERVING'])),
    );
    health.addToServer(server);
    new ReflectionService(packageDefinition()).addToServer(server);

    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(config.node.listen, grpc.ServerCredentials.createInsecure(), (error, boundPort) =>
        error === null
          ? resolve(boundPort)
          : reject(new Error(`cannot listen on ${config.node.listen}: ${error.message}`)),
      );
    });
    const host = config.node.listen.slice(0, config.node.listen.lastIndexOf(':'));
    const address = `${host}:${port}`;
    if (config.node.advertise.endsWith(':0')) advertised = address;

    const tandemd = new Tandemd(
      config,
      replica,
      server,
      storage,
      health,
      logger,
      address,
      transport === null ? null : { transport, responses },
    );
    replica.onFatal = (error) => {
      logger.error('fatal replica error, exiting', { error: error.message });
      void tandemd.stop().finally(() => process.exit(1));
    };
    replica.start();
    // A cluster of one elects itself at once; say "listening" only when it can serve, so that a
    // client that waited for that line is never turned away. A node of a pair serves as soon as it
    // listens: a follower answers reads and status and sends writers to the leader.
    if (config.cluster.mode === 'single')
      await replica.waitForLeadership(config.timing.failoverTimeoutMs * 5);
    for (const name of ['', ...SERVICES]) health.setStatus(name, 'SERVING');
    logger.info('listening', {
      address,
      mode: config.cluster.mode,
      role: config.node.role,
      dataDir: config.node.dataDir,
    });
    return tandemd;
  }

  /** Graceful shutdown: stop taking requests, let the batch in flight finish, close storage. */
  async stop(): Promise<void> {
    for (const name of ['', ...SERVICES]) this.health.setStatus(name, 'NOT_SERVING');
    const shutDown = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2000);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    // Peer RPCs waiting for the core are answered now (as refusals), so that the server can finish.
    this.peers?.responses.clear();
    await shutDown;
    await this.replica.stop();
    this.peers?.transport.close();
    await this.storage.close();
    this.logger.info('stopped');
  }
}
