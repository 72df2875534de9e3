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

/**
 * The HTTP/2 receive windows of the peer listener, per stream and per connection, as multiples of
 * limits.maxRequestBytes. Node's default is 64 KiB for both, and every 64 KiB then waits for the
 * receiving node's event loop to read it and send a window update: a 31.6 MB snapshot took
 * 10-12 s to cross loopback to a busy follower (482 round trips, each behind a turn of its loop),
 * and each append of a catch-up (up to half of maxRequestBytes) waited for 8 of them.
 */
export const PEER_STREAM_WINDOW_REQUESTS = 2;
export const PEER_CONNECTION_WINDOW_REQUESTS = 8;
/** HTTP/2's largest window. */
const MAX_WINDOW_BYTES = 2 ** 31 - 1;

/**
 * Widens the HTTP/2 receive windows of every connection a listener accepts (a grpc-js server has
 * no option for them: they are set on each Node http2 session as it opens, through the same private
 * field as the connection cap). Only for the peer listener: its callers are the other cluster
 * members, authenticated by certificate, and the windows bound what a connection may buffer.
 * False when this grpc-js version hides its http2 servers.
 */
export function widenReceiveWindows(server: grpc.Server, config: TandemConfig, logger: Logger): boolean {
  const http2Servers = (
    server as unknown as {
      http2Servers?: Map<{ on?: (event: 'session', listener: (session: Session) => void) => void }, unknown>;
    }
  ).http2Servers;
  if (!(http2Servers instanceof Map)) return false;
  const streamWindowBytes = Math.min(
    MAX_WINDOW_BYTES,
    PEER_STREAM_WINDOW_REQUESTS * config.limits.maxRequestBytes,
  );
  const connectionWindowBytes = Math.min(
    MAX_WINDOW_BYTES,
    PEER_CONNECTION_WINDOW_REQUESTS * config.limits.maxRequestBytes,
  );
  for (const http2Server of http2Servers.keys()) {
    if (typeof http2Server.on !== 'function') return false;
    http2Server.on('session', (session) => {
      try {
        session.setLocalWindowSize(connectionWindowBytes);
        session.settings({ initialWindowSize: streamWindowBytes });
      } catch (error) {
        // A session destroyed as it opened: nothing to widen.
        logger.debug("could not widen a peer connection's receive windows", {
          error: (error as Error).message,
        });
      }
    });
  }
  return true;
}

/** What widenReceiveWindows uses of a Node http2 session. */
interface Session {
  setLocalWindowSize(windowSize: number): void;
  settings(settings: { initialWindowSize: number }): void;
}
