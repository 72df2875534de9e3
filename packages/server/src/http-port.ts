// The node's HTTP port (node.httpListen): the web console's static files and its JSON API, and a
// place for /metrics. It speaks HTTPS on the client port's certificate files (following their
// reloads), or plaintext HTTP only on an insecure node, and every route but the open ones goes
// through the node's Guard (auth.ts): a verified client certificate naming `tandem://<role>/<name>`,
// or `Authorization: Bearer <token>`, and the same roles as the gRPC methods.
//
// Answers: an unknown path is 404, a known path with another method 405, no credentials 401, the
// wrong role 403 naming the roles needed, all as JSON `{error, message, ...}`. Every request is
// bounded: headers, body size, the time to send the request, the time a handler may take, the
// connections and the event streams open at once.
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { AuthError, type Guard } from './auth.js';
import { ConfigError } from './config.js';
import {
  HttpError,
  MAX_PATH_LENGTH,
  matchRoute,
  type Route,
  type RouteRequest,
  type RouteResult,
} from './http-route.js';
import { type TlsWatch, watchTls } from './http-tls.js';
import type { Identity } from './identity.js';
import type { Logger } from './logger.js';
import type { NodeCredentials } from './node-credentials.js';

/** The HTTP port's limits. The API's requests are small: a revoke carries a reason and an id. */
export const HTTP_LIMITS = {
  /** A request body larger than this is refused with 413 before it is read. */
  maxBodyBytes: 64 * 1024,
  /** The time a client has to send its headers, and its whole request. */
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: 5_000,
  /** A handler that has not answered in this long is answered 503 (streams are exempt). */
  handlerTimeoutMs: 30_000,
  /** A connection that sends nothing and receives nothing for this long is closed. */
  socketTimeoutMs: 120_000,
} as const;

export interface HttpPortOptions {
  /** host:port; port 0 picks a free port. */
  listen: string;
  credentials: NodeCredentials;
  guard: Guard;
  logger: Logger;
  routes: readonly Route[];
  /** Open connections at once; further ones are closed as they come. */
  maxConnections: number;
}

/** Headers on every answer: the console is served by the node itself and framed by nobody. */
const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

export class HttpPort {
  private readonly streams = new Set<AbortController>();
  private server: Server | null = null;
  private tls: TlsWatch | null = null;
  private bound = '';

  private constructor(private readonly options: HttpPortOptions) {}

  static async start(options: HttpPortOptions): Promise<HttpPort> {
    const port = new HttpPort(options);
    await port.open();
    return port;
  }

  /** The bound address, with the real port when the configuration asked for port 0. */
  get address(): string {
    return this.bound;
  }

  /** HTTPS (on the client port's certificate files), or plaintext on an insecure node. */
  get secure(): boolean {
    return this.options.credentials.clientTls() !== null;
  }

  private async open(): Promise<void> {
    const { options } = this;
    const clientTls = options.credentials.clientTls();
    const handle = (request: IncomingMessage, response: ServerResponse) => this.handle(request, response);
    let server: Server;
    if (clientTls === null) {
      server = createHttpServer(handle);
    } else {
      const tls = await watchTls(clientTls.files, (material) => {
        https.setSecureContext(material);
        options.logger.info('HTTP port: certificate files reloaded');
      });
      this.tls = tls;
      const https = createHttpsServer(
        {
          ...tls.initial,
          minVersion: 'TLSv1.2',
          // Ask every browser for a certificate; one without a verified certificate may still come
          // with a token, unless the client port requires certificates.
          requestCert: true,
          rejectUnauthorized: clientTls.requireClientCertificates,
        },
        handle,
      );
      server = https;
    }
    server.headersTimeout = HTTP_LIMITS.headersTimeoutMs;
    server.requestTimeout = HTTP_LIMITS.requestTimeoutMs;
    server.keepAliveTimeout = HTTP_LIMITS.keepAliveTimeoutMs;
    server.maxConnections = options.maxConnections;
    server.setTimeout(HTTP_LIMITS.socketTimeoutMs);
    // A socket error (a reset, a bad handshake) concerns that client only.
    server.on('clientError', (_error, socket) => socket.destroy());
    server.on('tlsClientError', () => {});
    const separator = options.listen.lastIndexOf(':');
    const host = options.listen.slice(0, separator);
    const wantedPort = Number(options.listen.slice(separator + 1));
    try {
      const boundPort = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: host.replace(/^\[|\]$/g, ''), port: wantedPort }, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
      this.bound = `${host}:${boundPort}`;
      this.server = server;
    } catch (error) {
      this.tls?.close();
      throw new ConfigError(
        'node.httpListen',
        `cannot listen on ${options.listen}: ${(error as Error).message}`,
      );
    }
  }

  /** Stops listening, ends event streams, and closes every connection within a short grace. */
  async close(): Promise<void> {
    for (const stream of this.streams) stream.abort();
    this.tls?.close();
    const server = this.server;
    if (server === null) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.closeAllConnections();
        resolve();
      }, 1000);
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    });
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    this.serve(request, response).catch((error: unknown) => {
      this.options.logger.error('HTTP port: unexpected error', {
        error: String((error as Error)?.stack ?? error),
      });
      if (!response.headersSent) sendJson(response, 500, { error: 'internal', message: 'internal error' });
      else response.destroy();
    });
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = request.url ?? '/';
    if (target.length > MAX_PATH_LENGTH) {
      sendError(
        response,
        new HttpError(414, 'uri_too_long', `the path is longer than ${MAX_PATH_LENGTH} characters`),
      );
      return;
    }
    const url = new URL(target, 'http://tandem.invalid');
    const method = request.method ?? 'GET';
    const matched = matchRoute(this.options.routes, method, url.pathname);
    if (matched.route === null) {
      if (matched.allowed.length > 0) {
        response.setHeader('allow', [...new Set(matched.allowed)].join(', '));
        sendError(
          response,
          new HttpError(405, 'method_not_allowed', `${url.pathname} takes ${matched.allowed.join(' or ')}`),
        );
      } else {
        sendError(response, new HttpError(404, 'not_found', `no such path: ${url.pathname.slice(0, 200)}`));
      }
      request.resume();
      return;
    }
    const { route, params } = matched;
    let identity: Identity | null = null;
    try {
      identity = this.identify(request, route.roles === 'open');
      if (route.roles !== 'open' && identity !== null) {
        this.options.guard.authorizeRoles(identity, route.roles, `${route.method} ${route.path}`);
      }
      if (route.method === 'POST') checkPost(request);
    } catch (error) {
      request.resume();
      if (error instanceof AuthError) {
        this.options.guard.logRefusal(`http_${grpc.status[error.grpcCode] ?? 'call'}`, {
          path: url.pathname.slice(0, 200),
          from: request.socket.remoteAddress ?? 'unknown',
          reason: error.message,
        });
        sendError(response, httpErrorOf(error));
        return;
      }
      if (error instanceof HttpError) {
        sendError(response, error);
        return;
      }
      throw error;
    }
    const abort = new AbortController();
    response.once('close', () => abort.abort());
    const routeRequest: RouteRequest = {
      identity,
      params,
      query: url.searchParams,
      body: () => readJsonBody(request),
      signal: abort.signal,
      raw: request,
    };
    let result: RouteResult;
    try {
      result = await withTimeout(
        Promise.resolve(route.handler(routeRequest, response)),
        HTTP_LIMITS.handlerTimeoutMs,
      );
    } catch (error) {
      request.resume();
      if (error instanceof HttpError) {
        sendError(response, error);
        return;
      }
      throw error;
    }
    if ('streamed' in result) {
      // A client that went away while the handler started its stream is gone already.
      if (abort.signal.aborted) return;
      this.streams.add(abort);
      abort.signal.addEventListener('abort', () => {
        this.streams.delete(abort);
        if (!response.writableEnded) response.end();
      });
      return;
    }
    request.resume();
    if (method === 'HEAD') {
      response.writeHead(result.status ?? 200).end();
      return;
    }
    if ('json' in result) {
      sendJson(response, result.status ?? 200, result.json);
      return;
    }
    response.writeHead(result.status ?? 200, {
      'content-type': result.contentType,
      'content-length': Buffer.byteLength(result.body),
      ...(result.headers ?? {}),
    });
    response.end(result.body);
  }

  /**
   * The caller through the Guard. On an open route a request without credentials is let through
   * with no identity; credentials that do not check out are refused everywhere.
   */
  private identify(request: IncomingMessage, open: boolean): Identity | null {
    const authorization = request.headers.authorization;
    const socket = request.socket as TLSSocket;
    const certificate = () => {
      if (!this.secure || socket.authorized !== true) return null;
      const peer = socket.getPeerCertificate();
      return peer === null || peer.raw === undefined ? null : peer;
    };
    if (open && authorization === undefined && certificate() === null && !this.options.guard.insecure)
      return null;
    return this.options.guard.authenticateConnection(
      socket,
      () => ({
        from: `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`,
        certificate: certificate(),
      }),
      authorization,
    );
  }
}

/**
 * A POST must say it is JSON and come from this origin: a browser sends the client certificate with
 * any request, so a page elsewhere must not be able to post a form to the console's API.
 */
function checkPost(request: IncomingMessage): void {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, 'unsupported_media_type', 'content-type: a POST must be application/json');
  }
  const origin = request.headers.origin;
  if (origin !== undefined) {
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      host = null;
    }
    if (host !== request.headers.host) {
      throw new HttpError(403, 'cross_origin', `origin: ${origin.slice(0, 200)} is not this node's console`);
    }
  }
  const length = Number(request.headers['content-length'] ?? 0);
  if (length > HTTP_LIMITS.maxBodyBytes) {
    throw new HttpError(413, 'body_too_large', `the body is larger than ${HTTP_LIMITS.maxBodyBytes} bytes`);
  }
}

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).byteLength;
    if (size > HTTP_LIMITS.maxBodyBytes) {
      throw new HttpError(413, 'body_too_large', `the body is larger than ${HTTP_LIMITS.maxBodyBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpError(400, 'invalid_json', `the body is not JSON (${(error as Error).message})`);
  }
}

function httpErrorOf(error: AuthError): HttpError {
  if (error.grpcCode === grpc.status.UNAUTHENTICATED)
    return new HttpError(401, 'unauthenticated', error.message);
  if (error.grpcCode === grpc.status.PERMISSION_DENIED) {
    return new HttpError(403, 'permission_denied', error.message, { rolesNeeded: error.rolesNeeded });
  }
  return new HttpError(429, 'rate_limited', error.message);
}

function sendError(response: ServerResponse, error: HttpError): void {
  if (error.status === 401) response.setHeader('www-authenticate', 'Bearer realm="tandem"');
  sendJson(response, error.status, error.toJson());
}

export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(body);
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new HttpError(503, 'timeout', `the node did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
