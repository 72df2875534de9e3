// A real gRPC server on 127.0.0.1 that answers AdminService calls from a script and records them.
import * as grpc from '@grpc/grpc-js';
import type { NodeState, ResponseHeader, Role } from '@tandem/wire';
import { loadTandemProto, REASON_KEY, TERM_KEY } from '@tandem/wire';
import type { CliIo } from '../src/session.js';

export type Reply =
  | { response: object }
  | { status: grpc.status; details?: string; metadata?: Record<string, string> };
export type Script = Record<string, (request: Record<string, unknown>) => Reply>;

export interface ScriptedAdmin {
  address: string;
  calls: Array<{ method: string; request: Record<string, unknown> }>;
  callsOf(method: string): Array<Record<string, unknown>>;
  stop(): void;
}

export async function startScriptedAdmin(script: Script): Promise<ScriptedAdmin> {
  const definition = loadTandemProto().tandem.v1.AdminService.service;
  const server = new grpc.Server();
  const calls: ScriptedAdmin['calls'] = [];
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(definition)) {
    implementation[method] = (
      call: grpc.ServerUnaryCall<Record<string, unknown>, object>,
      callback: grpc.sendUnaryData<object>,
    ) => {
      calls.push({ method, request: call.request });
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
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    );
  });
  return {
    address: `127.0.0.1:${port}`,
    calls,
    callsOf: (method) => calls.filter((call) => call.method === method).map((call) => call.request),
    stop: () => server.forceShutdown(),
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
