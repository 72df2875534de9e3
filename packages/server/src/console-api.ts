// The HTTP port's route table: /healthz, the console's JSON API, its event stream and static files,
// and /metrics when a metrics source is given. Every API route calls the AdminService handler that
// tandemctl calls (admin-call.ts), in-process, as the HTTP caller, and takes the roles of that
// method: what a viewer may not do over gRPC it may not do here either.
import { randomUUID } from 'node:crypto';
import type { ClusterStatusJson, ConsoleSession, UtilisationResponse } from '@tandem/console';
import type { GetReportResponse } from '@tandem/wire';
import { type AdminHandlers, adminRoles, callAdmin } from './admin-call.js';
import { consoleAssetRoutes, loadConsoleAssets } from './console-assets.js';
import { ConsoleEvents } from './console-events.js';
import type { UtilisationSource } from './console-history.js';
import { ConsoleHistory } from './console-history.js';
import { renameReportField, reportJsonOfResponse, reportRequestOfQuery } from './console-report.js';
import { HttpError, type Route, type RouteRequest, route } from './http-route.js';
import type { Identity } from './identity.js';

/**
 * What GET /metrics serves, for viewer and up (the Prometheus exposition is built elsewhere and
 * wired in by tandemd); without one, /metrics is 404.
 */
export interface MetricsSource {
  render(): Promise<{ contentType: string; body: string }>;
}

export interface ConsoleApiOptions {
  nodeId: string;
  admin: AdminHandlers;
  history: ConsoleHistory;
  /** Where the live utilisation chart's samples come from; the node's own sampled ring by default. */
  utilisation?: UtilisationSource;
  appliedIndex(): number;
  /** Is the node serving (started, not stopping)? /healthz says so. */
  serving(): boolean;
  metrics?: MetricsSource;
  /** The data nodes' consoles (cluster.nodes[].httpAddress), for links between them. */
  consoles: ConsoleSession['consoles'];
}

/** The longest revoke reason the API passes on (the ledger bounds it again). */
const MAX_REASON_LENGTH = 512;
/** The most audit records one page asks for. */
const AUDIT_LIMIT_DEFAULT = 500;

export function consoleRoutes(options: ConsoleApiOptions): Route[] {
  const { admin } = options;
  const utilisation = options.utilisation ?? options.history.utilisation;
  const call = <Response>(method: string, request: unknown, identity: Identity | null) => {
    if (identity === null) throw new HttpError(401, 'unauthenticated', 'no credentials');
    return callAdmin<Response>(admin, method, request, identity);
  };
  const clusterStatus = (identity: Identity) => call<ClusterStatusJson>('ClusterStatus', {}, identity);
  const events = new ConsoleEvents({
    nodeId: options.nodeId,
    history: options.history,
    clusterStatus,
    appliedIndex: options.appliedIndex,
    intervalMs: ConsoleHistory.STATUS_INTERVAL_MS,
  });
  /** An API route over one AdminService method takes that method's roles. */
  const api = (
    method: 'GET' | 'POST',
    path: string,
    adminMethod: string,
    handler: (request: RouteRequest) => Promise<unknown>,
  ) =>
    route({
      method,
      path,
      roles: adminRoles(adminMethod),
      handler: async (request) => ({ json: await handler(request) }),
    });

  const routes: Route[] = [
    route({
      method: 'GET',
      path: '/healthz',
      roles: 'open',
      handler: () =>
        options.serving()
          ? { json: { status: 'serving', nodeId: options.nodeId } }
          : { status: 503, json: { status: 'not_serving', nodeId: options.nodeId } },
    }),
    api('GET', '/api/session', 'ClusterStatus', async ({ identity }) => {
      const caller = identity as Identity;
      const session: ConsoleSession = {
        name: caller.name,
        role: caller.role,
        via: caller.via,
        nodeId: options.nodeId,
        canRevoke: caller.via === 'insecure' || adminRoles('RevokeLease').includes(caller.role),
        consoles: options.consoles,
      };
      return session;
    }),
    api('GET', '/api/cluster', 'ClusterStatus', async ({ identity }) => ({
      ...(await clusterStatus(identity as Identity)),
      leadership: options.history.leadership.recent(),
    })),
    api('GET', '/api/licences', 'ListLicences', ({ identity }) => call('ListLicences', {}, identity)),
    api('GET', '/api/licences/:licenceId/usage', 'GetUsage', ({ identity, params }) =>
      call('GetUsage', { licenceId: params.licenceId, atMs: 0 }, identity),
    ),
    api('GET', '/api/licences/:licenceId/utilisation', 'GetUsage', async ({ params, query }) => {
      const sinceMs = integerParameter(query, 'sinceMs', 0);
      const licenceId = params.licenceId ?? '';
      const response: UtilisationResponse = {
        licenceId,
        intervalMs: utilisation.intervalMs,
        samples: utilisation.samples(licenceId, sinceMs),
      };
      return response;
    }),
    // The usage reports (GetReport): what the utilisation and usage charts draw and the usage page
    // exports, the figures `tandemctl report` prints for the same query. Any node answers from its
    // own index.
    api('GET', '/api/report', 'GetReport', async ({ identity, query }) => {
      const request = reportRequestOfQuery(query);
      try {
        return reportJsonOfResponse(await call<GetReportResponse>('GetReport', request, identity));
      } catch (error) {
        throw renameReportField(error);
      }
    }),
    api('GET', '/api/leases', 'ListLeases', ({ identity, query }) =>
      call('ListLeases', { licenceId: query.get('licenceId') ?? '' }, identity),
    ),
    api('POST', '/api/leases/:leaseId/revoke', 'RevokeLease', async ({ identity, params, body }) => {
      const request = (await body()) as Record<string, unknown>;
      if (typeof request !== 'object' || request === null || Array.isArray(request)) {
        throw new HttpError(400, 'invalid_argument', 'body: must be a JSON object', { field: 'body' });
      }
      const reason = request.reason ?? '';
      if (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH) {
        throw new HttpError(
          400,
          'invalid_argument',
          `reason: must be text of at most ${MAX_REASON_LENGTH} characters`,
          {
            field: 'reason',
          },
        );
      }
      const requestId = request.requestId ?? randomUUID();
      if (typeof requestId !== 'string') {
        throw new HttpError(400, 'invalid_argument', 'requestId: must be text', { field: 'requestId' });
      }
      return call('RevokeLease', { requestId, leaseId: params.leaseId, reason }, identity);
    }),
    api('GET', '/api/incidents', 'ListIncidents', ({ identity, query }) =>
      call('ListIncidents', { openOnly: query.get('openOnly') === 'true' }, identity),
    ),
    api('GET', '/api/audit', 'ListAudit', ({ identity, query }) =>
      call(
        'ListAudit',
        {
          sinceMs: integerParameter(query, 'sinceMs', 0),
          licenceId: query.get('licenceId') ?? '',
          limit: integerParameter(query, 'limit', AUDIT_LIMIT_DEFAULT),
        },
        identity,
      ),
    ),
    route({
      method: 'GET',
      path: '/api/events',
      roles: adminRoles('ClusterStatus'),
      handler: (request, response) => events.stream(request, response),
    }),
    ...consoleAssetRoutes(loadConsoleAssets()),
  ];
  const metrics = options.metrics;
  if (metrics !== undefined) {
    routes.push(
      route({
        method: 'GET',
        path: '/metrics',
        roles: adminRoles('ClusterStatus'),
        handler: async () => {
          const { contentType, body } = await metrics.render();
          return { contentType, body };
        },
      }),
    );
  }
  return routes;
}

/** A whole non-negative number from the query string, or 400 naming it. */
function integerParameter(query: URLSearchParams, name: string, fallback: number): number {
  const text = query.get(name);
  if (text === null || text === '') return fallback;
  if (!/^\d{1,15}$/.test(text)) {
    throw new HttpError(400, 'invalid_argument', `${name}: must be a whole number`, { field: name });
  }
  return Number(text);
}
