// Plain gRPC stubs with no retries and no leader following, for tests that must see exactly what
// one node answers (bad input, crash tests). Workstations use @tandem/client instead.
import * as grpc from '@grpc/grpc-js';
import { connectionCredentials, parseSettings } from '@tandem/client';
import type { AdminServiceClient, WorkstationServiceClient } from '@tandem/wire';
import { loadTandemProto } from '@tandem/wire';
import type { ClusterAccess } from './test-pki.js';

export interface RawClients {
  workstation: WorkstationServiceClient;
  admin: AdminServiceClient;
  close(): void;
}

/** Stubs on one channel to `address`, with the credentials of `access` (TLS unless insecure). */
export function rawClients(address: string, access: ClusterAccess): RawClients {
  const proto = loadTandemProto();
  const { credentials, files } = connectionCredentials(parseSettings({ ...access, servers: [address] }));
  const workstation = new proto.tandem.v1.WorkstationService(address, credentials);
  const admin = new proto.tandem.v1.AdminService(address, credentials, {
    channelOverride: workstation.getChannel() as grpc.Channel,
  });
  return {
    workstation,
    admin,
    close() {
      workstation.close();
      admin.close();
      files?.close();
    },
  };
}

/** A grpc-js error with its status code, details and trailing metadata. */
export type CallError = grpc.ServiceError;

/**
 * A generated unary method. Its overloads end with (argument, callback), which is the signature
 * TypeScript infers from, so the request and response types follow from the method itself.
 */
// biome-ignore lint/suspicious/noExplicitAny: matches every generated method signature.
type UnaryMethod = (argument: any, callback: grpc.requestCallback<any>) => grpc.ClientUnaryCall;
type RequestOf<M extends UnaryMethod> = Parameters<M>[0];
type ResponseOf<M extends UnaryMethod> = M extends (
  argument: never,
  callback: grpc.requestCallback<infer R>,
) => unknown
  ? R
  : never;

/** Calls a unary method with a deadline and resolves with its response or rejects with its error. */
export function call<M extends UnaryMethod>(
  client: grpc.Client,
  method: M,
  request: RequestOf<M>,
  timeoutMs = 5000,
): Promise<ResponseOf<M>> {
  return new Promise((resolve, reject) => {
    const options: grpc.CallOptions = { deadline: Date.now() + timeoutMs };
    const callback = (error: grpc.ServiceError | null, response?: ResponseOf<M>) => {
      if (error !== null) reject(error);
      else resolve(response as ResponseOf<M>);
    };
    (method as unknown as (...args: unknown[]) => void).call(
      client,
      request,
      new grpc.Metadata(),
      options,
      callback,
    );
  });
}

/** Resolves with the error a call fails with; rejects if it unexpectedly succeeds. */
export async function callError<M extends UnaryMethod>(
  client: grpc.Client,
  method: M,
  request: RequestOf<M>,
): Promise<grpc.ServiceError> {
  try {
    const response = await call(client, method, request);
    throw new Error(`expected the call to fail, but it answered ${JSON.stringify(response)}`);
  } catch (error) {
    if ((error as grpc.ServiceError).code === undefined) throw error;
    return error as grpc.ServiceError;
  }
}
