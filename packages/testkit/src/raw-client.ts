// Plain gRPC stubs with no retries and no leader following, for tests that must see exactly what
// one node answers (bad input, crash tests). Workstations use @tandem/client instead.
import * as grpc from '@grpc/grpc-js';
import type { AdminServiceClient, WorkstationServiceClient } from '@tandem/wire';
import { loadTandemProto } from '@tandem/wire';

export interface RawClients {
  workstation: WorkstationServiceClient;
  admin: AdminServiceClient;
  close(): void;
}

export function rawClients(address: string): RawClients {
  const proto = loadTandemProto();
  const workstation = new proto.tandem.v1.WorkstationService(address, grpc.credentials.createInsecure());
  const admin = new proto.tandem.v1.AdminService(address, grpc.credentials.createInsecure(), {
    channelOverride: workstation.getChannel() as grpc.Channel,
  });
  return {
    workstation,
    admin,
    close() {
      workstation.close();
      admin.close();
    },
  };
}

/** A grpc-js error with its status code, details and trailing metadata. */
export type CallError = grpc.ServiceError;

type UnaryMethod<Request, Response> = (
  request: Request,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: Response) => void,
) => grpc.ClientUnaryCall;

/** Calls a unary method with a deadline and resolves with its response or rejects with its error. */
export function call<Request, Response>(
  client: grpc.Client,
  method: UnaryMethod<Request, Response>,
  request: Request,
  timeoutMs = 5000,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    method.call(
      client,
      request,
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (error, response) => {
        if (error !== null) reject(error);
        else resolve(response as Response);
      },
    );
  });
}

/** Resolves with the error a call fails with; rejects if it unexpectedly succeeds. */
export async function callError<Request, Response>(
  client: grpc.Client,
  method: UnaryMethod<Request, Response>,
  request: Request,
): Promise<grpc.ServiceError> {
  try {
    const response = await call(client, method, request);
    throw new Error(`expected the call to fail, but it answered ${JSON.stringify(response)}`);
  } catch (error) {
    if ((error as grpc.ServiceError).code === undefined) throw error;
    return error as grpc.ServiceError;
  }
}
