// The HTTP port's route table: what a route says (method, path, who may call it, its handler), how a
// path is matched, and the typed error a handler throws to answer with a status. http-port.ts runs
// the table; console-api.ts fills it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallerRole, Identity } from './identity.js';

export type HttpMethod = 'GET' | 'POST';

/** Anyone may call an open route, without credentials (/healthz, the console's static files). */
export type RouteRoles = readonly CallerRole[] | 'open';

export interface RouteRequest {
  /** The caller; null only on an open route called without credentials. */
  identity: Identity | null;
  /** The path's `:name` parts, decoded. */
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** The JSON body (POST), read within the port's body limit. */
  body(): Promise<unknown>;
  /** Aborted when the client goes away or the port closes (for streams). */
  signal: AbortSignal;
  raw: IncomingMessage;
}

export type RouteResult =
  | { status?: number; json: unknown }
  | { status?: number; contentType: string; body: string | Buffer; headers?: Record<string, string> }
  /** The handler wrote the response itself (an event stream). */
  | { streamed: ServerResponse };

export interface Route {
  method: HttpMethod;
  /** `/api/leases/:leaseId/revoke`; a trailing `/*` matches the rest of the path (as param `rest`). */
  path: string;
  roles: RouteRoles;
  handler: (request: RouteRequest, response: ServerResponse) => Promise<RouteResult> | RouteResult;
}

/** Declares a route; a function so that a table reads as a list of calls. */
export function route(definition: Route): Route {
  if (!definition.path.startsWith('/'))
    throw new TypeError(`route path ${definition.path} must start with /`);
  return definition;
}

/**
 * An answer other than 200 from a handler or the port: the status, a code a program can test
 * (`not_found`, `permission_denied`, or the ledger's reason), the field it is about, a message for
 * people, and anything else worth a field of the JSON error (the roles needed, the leader).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toJson(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.extra };
  }
}

/** The longest path the port matches, in characters; longer is 414. */
export const MAX_PATH_LENGTH = 2048;

/** The route for a method and path; `allowed` lists the methods of a path matched with another one. */
export function matchRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | { route: null; allowed: HttpMethod[] } {
  const allowed: HttpMethod[] = [];
  for (const candidate of routes) {
    const params = matchPath(candidate.path, path);
    if (params === null) continue;
    if (candidate.method === method || (method === 'HEAD' && candidate.method === 'GET')) {
      return { route: candidate, params };
    }
    allowed.push(candidate.method);
  }
  return { route: null, allowed };
}

function matchPath(pattern: string, path: string): Record<string, string> | null {
  const wanted = pattern.split('/');
  const given = path.split('/');
  const params: Record<string, string> = {};
  for (let position = 0; position < wanted.length; position += 1) {
    const part = wanted[position] as string;
    if (part === '*' && position === wanted.length - 1) {
      params.rest = given.slice(position).join('/');
      return params;
    }
    const actual = given[position];
    if (actual === undefined) return null;
    if (part.startsWith(':')) {
      if (actual === '') return null;
      try {
        params[part.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (part !== actual) {
      return null;
    }
  }
  return wanted.length === given.length ? params : null;
}
