// Small real gRPC servers on 127.0.0.1 whose answers a test scripts call by call. Each records the
// requests it received, so that tests can check request ids, targets and timing, and who sent them.
// They serve TLS with a node certificate from the test PKI (client certificates optional, as a
// node's client port), unless a test of insecure mode asks for plaintext.
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import {
  CertificateFiles,
  type CertificateRole,
  identityFromCertificate,
  serverCredentials,
} from '@tandem/pki';
import type { NodeState, ResponseHeader, Role } from '@tandem/wire';
import { LEADER_ADDRESS_KEY, LEADER_ID_KEY, loadTandemProto, REASON_KEY, TERM_KEY } from '@tandem/wire';
import { testPki } from './test-pki.js';

export type ScriptedReply =
  | { response: object }
  | { status: grpc.status; details?: string; metadata?: Record<string, string> }
  | { hang: true };

/** Answers one call; `request` is the decoded request, `index` counts calls of this method from 0. */
export type ScriptedHandler = (
  request: Record<string, unknown>,
  index: number,
) => ScriptedReply | Promise<ScriptedReply>;

export interface RecordedCall {
  method: string;
  request: Record<string, unknown>;
  atMs: number;
  /** The client certificate's identity (`workstation/ws-1`), or null without one. */
  certificate: string | null;
  /** The `authorization` metadata as sent, or null. */
  authorization: string | null;
}

export interface ScriptedNode {
  address: string;
  calls: RecordedCall[];
  callsOf(method: string): RecordedCall[];
  stop(): Promise<void>;
}

/** Scripts per method name; methods without a script answer UNIMPLEMENTED. */
export type Script = Record<string, ScriptedHandler>;

export function header(
  term: number,
  nodeId: string,
  state: NodeState = 'NODE_STATE_LEADER',
  role: Role = 'ROLE_MAIN',
  leaderId = state === 'NODE_STATE_LEADER' ? nodeId : '',
): ResponseHeader {
  return { term, role, state, nodeId, leaderId, leaderAddress: '', appliedIndex: 1 };
}

/** A follower's refusal, with an optional hint to the leader. */
export function notLeader(term: number, leaderAddress = '', leaderId = ''): ScriptedReply {
  const metadata: Record<string, string> = { [TERM_KEY]: String(term) };
  if (leaderAddress !== '') metadata[LEADER_ADDRESS_KEY] = leaderAddress;
  if (leaderId !== '') metadata[LEADER_ID_KEY] = leaderId;
  return { status: grpc.status.UNAVAILABLE, details: 'not_leader: this node is a follower', metadata };
}

export function rejection(term: number, code: grpc.status, reason: string): ScriptedReply {
  return {
    status: code,
    details: `${reason}: refused`,
    metadata: { [TERM_KEY]: String(term), [REASON_KEY]: reason },
  };
}

export function lease(leaseId: string, ttlMs: number, extra: Record<string, unknown> = {}): object {
  return {
    leaseId,
    licenceId: 'cad',
    workstationId: 'ws-1',
    parameters: { host: 'h', user: 'u', cores: 4, productVersion: '1.0' },
    grantedAtMs: 1000,
    renewedAtMs: 1000,
    expiresAtMs: 1000 + ttlMs,
    ttlMs,
    ...extra,
  };
}

type Service = 'WorkstationService' | 'AdminService';

export async function startScriptedServer(
  script: Script,
  service: Service = 'WorkstationService',
  options: {
    /** Plaintext, for tests of insecure mode. */
    insecure?: boolean;
    /** The server's certificate: a node's by default. */
    certificate?: { role: CertificateRole; name: string };
  } = {},
): Promise<ScriptedNode> {
  const definition = loadTandemProto().tandem.v1[service].service;
  const pki = await testPki();
  const files =
    options.insecure === true
      ? null
      : new CertificateFiles(
          await pki.tls(options.certificate?.role ?? 'node', options.certificate?.name ?? 'scripted'),
          { watchIntervalMs: 0 },
        );
  const server = new grpc.Server();
  const calls: RecordedCall[] = [];
  const counts = new Map<string, number>();
  const hung: Array<() => void> = [];
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(definition)) {
    implementation[method] = (
      call: grpc.ServerUnaryCall<Record<string, unknown>, object>,
      callback: grpc.sendUnaryData<object>,
    ) => {
      const index = counts.get(method) ?? 0;
      counts.set(method, index + 1);
      const certificate = call.getAuthContext().sslPeerCertificate;
      const identity = certificate === undefined ? null : identityFromCertificate(certificate);
      const authorization = call.metadata.get('authorization')[0];
      calls.push({
        method,
        request: call.request,
        atMs: performance.now(),
        certificate: identity === null ? null : `${identity.role}/${identity.name}`,
        authorization: typeof authorization === 'string' ? authorization : null,
      });
      const handler = script[method];
      if (handler === undefined) {
        callback({ code: grpc.status.UNIMPLEMENTED, details: `${method} is not scripted` });
        return;
      }
      Promise.resolve(handler(call.request, index)).then(
        (reply) => {
          if ('hang' in reply) {
            // Never answer; the client's deadline ends the call. Stopping the server cancels it.
            hung.push(() => callback({ code: grpc.status.CANCELLED, details: 'server stopped' }));
            return;
          }
          if ('response' in reply) {
            callback(null, reply.response);
            return;
          }
          const metadata = new grpc.Metadata();
          for (const [key, value] of Object.entries(reply.metadata ?? {})) metadata.set(key, value);
          callback({ code: reply.status, details: reply.details ?? '', metadata });
        },
        (error: unknown) => callback({ code: grpc.status.INTERNAL, details: String(error) }),
      );
    };
  }
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) => {
    const credentials =
      files === null ? grpc.ServerCredentials.createInsecure() : serverCredentials(files, false);
    server.bindAsync('127.0.0.1:0', credentials, (error, boundPort) =>
      error === null ? resolve(boundPort) : reject(error),
    );
  });
  return {
    address: `127.0.0.1:${port}`,
    calls,
    callsOf: (method) => calls.filter((call) => call.method === method),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const release of hung.splice(0)) release();
        server.forceShutdown();
        files?.close();
        resolve();
      }),
  };
}

/** An address on which nothing listens: a port that was just bound and released. */
export async function unusedAddress(): Promise<string> {
  const node = await startScriptedServer({});
  await node.stop();
  return node.address;
}
