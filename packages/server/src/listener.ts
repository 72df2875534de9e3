// A listener of a node: a gRPC server bound to one port with its credentials, its guarded services,
// and the limits every listener shares (message size, streams per connection, connections,
// keepalive, idle connections).
import type * as grpc from '@grpc/grpc-js';
import { type Guard, guardService } from './auth.js';
import { ConfigError, type TandemConfig } from './config.js';
import type { Logger } from './logger.js';
import type { RpcMetrics } from './rpc-metrics.js';

/** Server options shared by every listener: message size, streams, keepalive, idle connections. */
export function serverOptions(config: TandemConfig): grpc.ServerOptions {
  return {
    'grpc.max_receive_message_length': config.limits.maxRequestBytes,
    'grpc.max_concurrent_streams': config.limits.maxConcurrentStreams,
    // Ping every connection and drop one whose ping goes unanswered: a dead client's connection
    // (and its streams) must not be held for ever.
    'grpc.keepalive_time_ms': config.limits.keepaliveIntervalMs,
    'grpc.keepalive_timeout_ms': config.limits.keepaliveTimeoutMs,
    'grpc.max_connection_idle_ms': config.limits.idleConnectionTimeoutMs,
  };
}

export function addGuarded(
  server: grpc.Server,
  guard: Guard,
  name: string,
  definition: grpc.ServiceDefinition,
  implementation: grpc.UntypedServiceImplementation,
  /** Times every call, refused ones included (outside the guard); none for the witness. */
  metrics?: RpcMetrics,
): void {
  const guarded = guardService(guard, name, definition, implementation);
  server.addService(
    guarded.definition,
    metrics === undefined
      ? guarded.implementation
      : metrics.instrument(name, definition, guarded.implementation),
  );
}

/**
 * Binds a listener and caps its connections. grpc-js has no setting for the cap, so it is set on
 * the Node http2 servers it made (a private field, checked: without it the cap is logged as off).
 */
export async function bind(
  server: grpc.Server,
  listen: string,
  field: string,
  credentials: grpc.ServerCredentials,
  config: TandemConfig,
  logger: Logger,
): Promise<number> {
  const port = await new Promise<number>((resolve, reject) => {
    // An address in use, or one this host does not have, is the configuration's to fix: a
    // ConfigError naming the field, which tandemd reports with exit code 2 (no stack trace).
    server.bindAsync(listen, credentials, (error, boundPort) =>
      error === null
        ? resolve(boundPort)
        : reject(new ConfigError(field, `cannot listen on ${listen}: ${error.message}`)),
    );
  });
  if (!capConnections(server, config.limits.maxConnections)) {
    logger.warn('limits.maxConnections is not enforced: this grpc-js version hides its http2 servers', {
      listen,
    });
  }
  return port;
}

function capConnections(server: grpc.Server, maxConnections: number): boolean {
  const http2Servers = (server as unknown as { http2Servers?: Map<{ maxConnections?: number }, unknown> })
    .http2Servers;
  if (!(http2Servers instanceof Map)) return false;
  for (const http2Server of http2Servers.keys()) http2Server.maxConnections = maxConnections;
  return true;
}
