// A real gRPC server on 127.0.0.1 that answers AdminService calls from a script and records them,
// with the identity of the caller. It serves TLS with a node certificate from the test PKI (client
// certificates optional, as a node's client port), or plaintext for tests of insecure mode.
import * as grpc from '@grpc/grpc-js';
import { CertificateFiles, identityFromCertificate, serverCredentials } from '@tandem/pki';
import type { NodeState, ResponseHeader, Role } from '@tandem/wire';
import { loadTandemProto, REASON_KEY, TERM_KEY } from '@tandem/wire';
import type { CliIo } from '../src/session.js';
import { testPki } from './test-pki.js';

export type Reply =
  | { response: object }
  | { status: grpc.status; details?: string; metadata?: Record<string, string> };
export type Script = Record<string, (request: Record<string, unknown>) => Reply>;

export interface ScriptedCall {
  method: string;
  request: Record<string, unknown>;
  /** The client certificate's identity (`admin/admin`), or null without one. */
  certificate: string | null;
  /** The `authorization` metadata as sent, or null. */
  authorization: string | null;
}

export interface ScriptedAdmin {
  address: string;
  calls: ScriptedCall[];
  callsOf(method: string): Array<Record<string, unknown>>;
  stop(): void;
}

export async function startScriptedAdmin(
  script: Script,
  options: { insecure?: boolean } = {},
): Promise<ScriptedAdmin> {
  const definition = loadTandemProto().tandem.v1.AdminService.service;
  const files =
    options.insecure === true
      ? null
      : new CertificateFiles(await (await testPki()).tls('node', 'scripted'), { watchIntervalMs: 0 });
  const server = new grpc.Server();
  const calls: ScriptedAdmin['calls'] = [];
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(definition)) {
    implementation[method] = (
      call: grpc.ServerUnaryCall<Record<string, unknown>, object>,
      callback: grpc.sendUnaryData<object>,
    ) => {
      const certificate = call.getAuthContext().sslPeerCertificate;
      const identity = certificate === undefined ? null : identityFromCertificate(certificate);
      const authorization = call.metadata.get('authorization')[0];
      calls.push({
        method,
        request: call.request,
        certificate: identity === null ? null : `${identity.role}/${identity.name}`,
        authorization: typeof authorization === 'string' ? authorization : null,
      });
      const handler = script[method];
      if (handler === undefined) {
        callback({ code: grpc.status.UNIMPLEMENTED, details: `${method} is not scripted` });
        return;
      }
      const reply = handler(call.request);
      if ('response' in reply) {
        callback(null, reply.response);
        return;
      }
      const metadata = new grpc.Metadata();
      for (const [key, value] of Object.entries(reply.metadata ?? {})) metadata.set(key, value);
      callback({ code: reply.status, details: reply.details ?? '', metadata });
    };
  }
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) => {
    const credentials =
      files === null ? grpc.ServerCredentials.createInsecure() : serverCredentials(files, false);
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    );
  });
  return {
    address: `127.0.0.1:${port}`,
    calls,
    callsOf: (method) => calls.filter((call) => call.method === method).map((call) => call.request),
    stop: () => {
      server.forceShutdown();
      files?.close();
    },
  };
}

export async function unusedAddress(): Promise<string> {
  const scripted = await startScriptedAdmin({});
  scripted.stop();
  return scripted.address;
}

export function header(term: number, nodeId: string, state: NodeState, role: Role): ResponseHeader {
  return { term, role, state, nodeId, leaderId: '', leaderAddress: '', appliedIndex: 0 };
}

export function rejection(code: grpc.status, reason: string): Reply {
  return { status: code, details: `${reason}: refused`, metadata: { [REASON_KEY]: reason, [TERM_KEY]: '1' } };
}

export interface CapturedIo extends CliIo {
  out(): string;
  err(): string;
}

export function captureIo(env: Record<string, string | undefined> = {}): CapturedIo {
  let stdout = '';
  let stderr = '';
  return {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    out: () => stdout,
    err: () => stderr,
  };
}
