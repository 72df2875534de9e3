// tandemctl health: asks each server's gRPC health service (grpc.health.v1, open to callers without
// credentials, as on every node and the witness) whether it serves. For container health checks
// and probes: one call per server, no retries, exit 0 only when every server answers SERVING.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { connectionCredentials } from '@tandem/client';
import { service as healthService } from 'grpc-health-check';
import { ExitCode } from './exit-codes.js';
import type { Session } from './session.js';
import { formatTable } from './table.js';

const HealthClient = grpc.makeGenericClientConstructor(
  healthService as unknown as grpc.ServiceDefinition,
  'grpc.health.v1.Health',
);

type CheckCall = (
  request: { service: string },
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: { status: string } | undefined) => void,
) => grpc.ClientUnaryCall;

export interface ServerHealth {
  address: string;
  /** SERVING, NOT_SERVING or UNKNOWN as the server said, or null when it did not answer. */
  status: string | null;
  error: string | null;
}

function checkOne(
  address: string,
  credentials: grpc.ChannelCredentials,
  timeoutMs: number,
): Promise<ServerHealth> {
  const client = new HealthClient(address, credentials);
  const check = client.Check as CheckCall | undefined;
  assert(check !== undefined, 'the health service definition has Check');
  return new Promise((resolve) => {
    check.call(client, { service: '' }, { deadline: Date.now() + timeoutMs }, (error, response) => {
      client.close();
      if (error !== null || response === undefined) {
        resolve({ address, status: null, error: error?.details || error?.message || 'no answer' });
      } else {
        resolve({ address, status: response.status, error: null });
      }
    });
  });
}

export async function health(session: Session): Promise<number> {
  const settings = session.settings();
  const { credentials, files } = connectionCredentials(settings);
  let results: ServerHealth[];
  try {
    results = await Promise.all(
      settings.servers.map((address) => checkOne(address, credentials, settings.requestTimeoutMs)),
    );
  } finally {
    files?.close();
  }
  session.print({ servers: results }, () =>
    formatTable(
      ['ADDRESS', 'STATUS'],
      results.map((result) => [result.address, result.status ?? `unreachable: ${result.error}`]),
    ),
  );
  return results.every((result) => result.status === 'SERVING') ? ExitCode.ok : ExitCode.unavailable;
}
