// tandemd with `node.role: witness`: the tie-breaker of witness mode. It holds no ledger and no
// log; it serves WitnessService (RequestVote, Heartbeat, RecordInSync, GetState) to the data nodes,
// AdminService.ClusterStatus so that `tandemctl status` shows it (every other admin call is
// UNIMPLEMENTED: there is no ledger here), and gRPC health. Each answer leaves only after the
// state it depends on, and every state change before it, is durable (see witness-storage.ts).
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import type { Message, NodeId, WitnessStatus } from '@tandem/consensus';
import { WitnessCore } from '@tandem/consensus';
import type {
  AdminServiceHandlers,
  ClusterStatusResponse,
  NodeStatus,
  RecordInSyncRequest__Output,
  RecordInSyncResponse,
  RequestVoteRequest__Output,
  RequestVoteResponse,
  ResponseHeader,
  WitnessHeartbeatRequest__Output,
  WitnessHeartbeatResponse,
  WitnessServiceHandlers,
  WitnessStateResponse,
} from '@tandem/wire';
import { loadTandemProto, packageDefinition } from '@tandem/wire';
import { HealthImplementation } from 'grpc-health-check';
import { VERSION } from './admin-service.js';
import { Guard } from './auth.js';
import { dataNodeIds, type TandemConfig } from './config.js';
import { type EdgeContext, responseHeader, roleToWire, unary } from './edge.js';
import { InvalidArgumentError, OperationalError } from './errors.js';
import { requireSender } from './identity.js';
import { addGuarded, bind, serverOptions } from './listener.js';
import type { Logger } from './logger.js';
import { NodeCredentials } from './node-credentials.js';
import { requestVoteFromWire, requestVoteResponseToWire } from './peer-messages.js';
import { coreRefusalSink, RefusalLog } from './refusal-log.js';
import type { ReplicaStatus } from './replica.js';
import { StallLog } from './stall-log.js';
import { startTickTimer } from './tick-timer.js';
import { heartbeatFromWire, recordFromWire } from './witness-messages.js';
import { WitnessStorage } from './witness-storage.js';

const SERVICES = ['tandem.v1.WitnessService', 'tandem.v1.AdminService'];

/** Requests whose answer waits for a write; beyond this many the witness refuses (retryably). */
const MAX_WAITING_REQUESTS = 256;

export class WitnessServer {
  private stopped = false;
  /** Settles when every write called so far has finished; a failed write stops the witness. */
  private writes: Promise<void> = Promise.resolve();
  private waiting = 0;
  private failure: Error | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  /** Called when the witness can no longer promise durability (the process exits). */
  onFatal: ((error: Error) => void) | null = null;
  private readonly refusals: RefusalLog;

  private constructor(
    readonly config: TandemConfig,
    private readonly core: WitnessCore,
    private readonly storage: WitnessStorage,
    private readonly server: grpc.Server,
    private readonly health: HealthImplementation,
    private readonly logger: Logger,
    /** The bound address (with the real port when the configuration asked for port 0). */
    readonly address: string,
    private readonly credentials: NodeCredentials,
    readonly guard: Guard,
    refusals: RefusalLog,
  ) {
    this.refusals = refusals;
  }

  static async start(config: TandemConfig, logger: Logger): Promise<WitnessServer> {
    if (config.node.role !== 'witness' || config.cluster.mode !== 'witness') {
      throw new Error('a witness server needs node.role witness and cluster.mode witness');
    }
    const credentials = NodeCredentials.load(config, logger);
    // No workstation calls reach a witness, so no rate limit; data nodes call it by certificate only.
    const guard = new Guard({ security: config.security, logger, workstationRate: null });
    const dataNodes = dataNodeIds(config);
    const storage = await WitnessStorage.open(config.node.dataDir, config.node.id, dataNodes);
    const stored = await storage.load().catch(async (error: unknown) => {
      await storage.close();
      throw error;
    });
    const ticksPer = (milliseconds: number) =>
      Math.max(1, Math.round(milliseconds / config.timing.tickIntervalMs));
    // Refused messages, from the edge and from the core, at most one line a second per kind.
    const refusals = new RefusalLog({ logger, clock: () => Date.now() });
    const core = new WitnessCore(
      {
        id: config.node.id,
        dataNodeIds: dataNodes,
        failoverTimeoutTicks: ticksPer(config.timing.failoverTimeoutMs),
        heartbeatIntervalTicks: ticksPer(config.timing.heartbeatIntervalMs),
        trace: (line) => logger.info('witness', { event: line }),
        refusal: coreRefusalSink(refusals),
      },
      stored,
    );
    logger.info('witness state opened', {
      term: stored?.term ?? 0,
      votedFor: stored?.votedFor ?? null,
      inSync: stored?.inSync ?? dataNodes,
      acknowledgedIndex: stored?.acknowledgedIndex ?? 0,
    });
    const server = new grpc.Server(serverOptions(config));
    const health = new HealthImplementation(
      Object.fromEntries(['', ...SERVICES].map((name) => [name, 'NOT_SERVING'])),
    );
    const port = await bind(
      server,
      config.node.listen,
      'node.listen',
      credentials.clientListener(),
      config,
      logger,
    ).catch(async (error: unknown) => {
      credentials.close();
      await storage.close();
      throw error;
    });
    const host = config.node.listen.slice(0, config.node.listen.lastIndexOf(':'));
    const address = `${host}:${port}`;
    const witness = new WitnessServer(
      config,
      core,
      storage,
      server,
      health,
      logger,
      address,
      credentials,
      guard,
      refusals,
    );
    witness.addServices();
    // The ticks the wall clock says are due (tick-timer.ts): the witness's leader lease and its
    // vote timing count time, not timer firings.
    const witnessStalls = new StallLog(logger);
    witness.tickTimer = startTickTimer({
      tickIntervalMs: config.timing.tickIntervalMs,
      heartbeatIntervalMs: config.timing.heartbeatIntervalMs,
      tick: () => core.tick(),
      stalled: (stalledMs) => witnessStalls.note(stalledMs),
    });
    for (const name of ['', ...SERVICES]) health.setStatus(name, 'SERVING');
    logger.info('listening', {
      address,
      security: credentials.insecure ? 'insecure' : 'tls',
      mode: config.cluster.mode,
      role: config.node.role,
      dataDir: config.node.dataDir,
    });
    return witness;
  }

  status(): WitnessStatus {
    return this.core.status();
  }

  /** SIGHUP: certificate files read again, and the tokens of the configuration given. */
  reload(config: TandemConfig | null): void {
    this.credentials.reload();
    if (config !== null) this.guard.setTokens(config.security.tokens);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    for (const name of ['', ...SERVICES]) this.health.setStatus(name, 'NOT_SERVING');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2000);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await this.writes;
    this.credentials.close();
    await this.storage.close();
    this.logger.info('stopped');
  }

  // ---------------------------------------------------------------------------------------------

  private addServices(): void {
    const proto = loadTandemProto();
    const context = this.edgeContext();
    addGuarded(
      this.server,
      this.guard,
      'tandem.v1.WitnessService',
      proto.tandem.v1.WitnessService.service,
      this.witnessService(context) as unknown as grpc.UntypedServiceImplementation,
    );
    addGuarded(
      this.server,
      this.guard,
      'tandem.v1.AdminService',
      proto.tandem.v1.AdminService.service,
      this.adminService(context) as unknown as grpc.UntypedServiceImplementation,
    );
    this.health.addToServer(this.server);
    if (this.config.security.reflection) {
      new ReflectionService(packageDefinition(), { services: ['tandem.v1.AdminService'] }).addToServer(
        this.server,
      );
    }
  }

  private edgeContext(): EdgeContext {
    const { config } = this;
    return {
      nodeId: config.node.id,
      role: 'witness',
      logger: this.logger,
      status: () => this.replicaLikeStatus(),
      addressOf: (nodeId) =>
        nodeId === config.node.id
          ? this.address
          : (config.cluster.nodes.find((node) => node.id === nodeId)?.address ?? null),
    };
  }

  /** The witness as the edge sees a node: a follower without a log; the commit index is the acknowledged one. */
  private replicaLikeStatus(): ReplicaStatus {
    const status = this.core.status();
    return {
      id: status.id,
      role: 'follower',
      leaderId: status.leaderId,
      term: status.term,
      commitIndex: status.acknowledgedIndex,
      appliedIndex: 0,
      lastIndex: 0,
      snapshotIndex: 0,
      configuration: {
        voters: this.config.cluster.nodes.map((node) => node.id).sort(),
        inSync: [...status.inSync],
      },
      progress: null,
    };
  }

  /**
   * Steps a message into the core and resolves with its answer once the state it depends on is
   * durable: the answer waits for this step's write and for every write before it.
   */
  private async exchange(message: Message): Promise<Message> {
    if (this.stopped) throw new OperationalError('shutting_down', 'the witness is shutting down', true);
    if (this.failure !== null) {
      throw new OperationalError('shutting_down', `the witness failed: ${this.failure.message}`, true);
    }
    if (this.waiting >= MAX_WAITING_REQUESTS) {
      throw new OperationalError(
        'overloaded',
        `more than ${MAX_WAITING_REQUESTS} requests wait for a write`,
        true,
      );
    }
    const step = this.core.step(message);
    const [answer] = step.messages;
    if (answer === undefined || step.messages.length !== 1)
      throw new Error('the witness core answers once per request');
    const state = step.persist;
    if (state !== null) {
      this.writes = this.writes.then(async () => {
        if (this.failure !== null) return;
        try {
          await this.storage.save(state);
        } catch (error) {
          this.fail(error as Error);
        }
      });
    }
    this.waiting += 1;
    try {
      await this.writes;
    } finally {
      this.waiting -= 1;
    }
    // The write may have failed while this request waited.
    const failure = this.failure as Error | null;
    if (failure !== null) {
      throw new OperationalError('shutting_down', `the witness failed: ${failure.message}`, true);
    }
    return answer;
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.logger.error('witness storage failed; refusing every request', { error: error.message });
    process.exitCode = 1;
    this.onFatal?.(error);
  }

  private requireDataNode(id: string, field: string): NodeId {
    if (id === '') throw new InvalidArgumentError(field, 'is required');
    const node = this.config.cluster.nodes.find((candidate) => candidate.id === id);
    if (node === undefined || node.role === 'witness') {
      throw new InvalidArgumentError(field, `"${id.slice(0, 64)}" is not a data node of this cluster`);
    }
    return id;
  }

  /** Runs a request's checks and conversion, logging (rate-limited) what it refuses. */
  private checked<T>(method: string, sender: string, convert: () => T): T {
    try {
      return convert();
    } catch (error) {
      if (error instanceof InvalidArgumentError) {
        this.refusals.note(`witness:${method}:${error.field}`, 'refused a witness message', {
          method,
          from: sender.slice(0, 64),
          error: error.message,
        });
      }
      throw error;
    }
  }

  private witnessService(context: EdgeContext): WitnessServiceHandlers {
    const selfId = this.config.node.id;
    const header = (term: number): ResponseHeader => ({ ...responseHeader(context), term });
    return {
      RequestVote: unary(
        context,
        async (request: RequestVoteRequest__Output, call): Promise<RequestVoteResponse> => {
          const message = this.checked('RequestVote', request.candidateId, () => {
            this.requireDataNode(request.candidateId, 'candidate_id');
            requireSender(call, request.candidateId, 'candidate_id');
            return requestVoteFromWire(request, selfId);
          });
          const answer = await this.exchange(message);
          if (answer.type !== 'request_vote_response') throw new Error(`the witness answered ${answer.type}`);
          return { header: header(answer.term), ...requestVoteResponseToWire(answer) };
        },
      ),
      Heartbeat: unary(
        context,
        async (request: WitnessHeartbeatRequest__Output, call): Promise<WitnessHeartbeatResponse> => {
          const message = this.checked('Heartbeat', request.leaderId, () => {
            this.requireDataNode(request.leaderId, 'leader_id');
            requireSender(call, request.leaderId, 'leader_id');
            return heartbeatFromWire(request, selfId);
          });
          const answer = await this.exchange(message);
          if (answer.type !== 'append_entries_response')
            throw new Error(`the witness answered ${answer.type}`);
          return { header: header(answer.term), success: answer.success };
        },
      ),
      RecordInSync: unary(
        context,
        async (request: RecordInSyncRequest__Output, call): Promise<RecordInSyncResponse> => {
          const message = this.checked('RecordInSync', request.leaderId, () => {
            this.requireDataNode(request.leaderId, 'leader_id');
            requireSender(call, request.leaderId, 'leader_id');
            return recordFromWire(request, selfId, dataNodeIds(this.config));
          });
          const answer = await this.exchange(message);
          if (answer.type !== 'witness_record_response')
            throw new Error(`the witness answered ${answer.type}`);
          return { header: header(answer.term), accepted: answer.success };
        },
      ),
      GetState: unary(context, (): WitnessStateResponse => {
        const status = this.core.status();
        return {
          header: responseHeader(context),
          term: status.term,
          votedFor: status.votedFor ?? '',
          inSync: status.inSync,
          lastAcknowledgedIndex: status.acknowledgedIndex,
        };
      }),
    };
  }

  /** ClusterStatus only: the witness's own row, then the data nodes as far as it knows them. */
  private adminService(context: EdgeContext): AdminServiceHandlers {
    const { config } = this;
    const startedAtMs = Date.now();
    const noLedger = () => {
      throw new OperationalError('not_implemented', 'a witness holds no ledger; ask a data node', false);
    };
    const refusals = Object.fromEntries(
      Object.keys(loadTandemProto().tandem.v1.AdminService.service).map((name) => [
        name,
        unary(context, noLedger),
      ]),
    ) as unknown as AdminServiceHandlers;
    const nodeRow = (id: string, address: string, role: NodeStatus['role']): NodeStatus => ({
      id,
      address,
      role,
      state: 'NODE_STATE_UNSPECIFIED',
      term: 0,
      commitIndex: 0,
      appliedIndex: 0,
      stateHash: '',
      stateHashIndex: 0,
      lastIndex: 0,
      snapshotIndex: 0,
      inSync: false,
      lagEntries: 0,
      lagMs: 0,
      lastContactMs: 0,
      reachable: false,
      mode: config.cluster.mode,
      version: '',
      startedAtMs: 0,
      security: '',
    });
    return {
      ...refusals,
      ClusterStatus: unary(context, (): ClusterStatusResponse => {
        const status = this.core.status();
        const self: NodeStatus = {
          ...nodeRow(config.node.id, this.address, roleToWire('witness')),
          state: 'NODE_STATE_FOLLOWER',
          term: status.term,
          commitIndex: status.acknowledgedIndex,
          reachable: true,
          version: VERSION,
          startedAtMs,
          security: config.security.insecure ? 'insecure' : 'tls',
        };
        const peers = config.cluster.nodes
          .filter((node) => node.role !== 'witness')
          .map((node) => ({
            ...nodeRow(node.id, node.address, roleToWire(node.role)),
            state:
              status.leaderId === node.id
                ? ('NODE_STATE_LEADER' as const)
                : ('NODE_STATE_UNSPECIFIED' as const),
            inSync: status.inSync.includes(node.id),
            // Contact with the leader is what the witness measures, in ticks.
            lastContactMs:
              status.leaderId === node.id ? status.ticksSinceLeaderContact * config.timing.tickIntervalMs : 0,
            reachable: status.leaderId === node.id,
          }));
        return {
          header: responseHeader(context),
          nodes: [self, ...peers],
          leaderId: status.leaderId ?? '',
          inSync: status.inSync,
        };
      }),
    };
  }
}
