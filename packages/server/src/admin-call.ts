// An AdminService method called in-process, for the HTTP port's JSON API (console-api.ts): the
// same handler that serves gRPC, with the HTTP caller's identity attached as the guard attaches it,
// so that the checks, the audit trail and the actor of every command are the ones tandemctl gets.
// A gRPC status that comes back becomes an HttpError with the same code, reason and field.
import * as grpc from '@grpc/grpc-js';
import { FIELD_KEY, LEADER_ADDRESS_KEY, LEADER_ID_KEY, metadataValue, REASON_KEY } from '@tandem/wire';
import { METHOD_ROLES } from './auth.js';
import { HttpError } from './http-route.js';
import { attachIdentity, type CallerRole, type Identity } from './identity.js';

const ADMIN_SERVICE = 'tandem.v1.AdminService';

/** The roles that may call an AdminService method: an API route over it takes the same. */
export function adminRoles(method: string): readonly CallerRole[] {
  const roles = METHOD_ROLES[ADMIN_SERVICE]?.[method];
  if (roles === undefined) throw new TypeError(`AdminService has no method ${method}`);
  return roles;
}

/** HTTP statuses for the gRPC codes a handler answers with. */
const HTTP_STATUS: Partial<Record<grpc.status, number>> = {
  [grpc.status.INVALID_ARGUMENT]: 400,
  [grpc.status.UNAUTHENTICATED]: 401,
  [grpc.status.PERMISSION_DENIED]: 403,
  [grpc.status.NOT_FOUND]: 404,
  [grpc.status.ALREADY_EXISTS]: 409,
  [grpc.status.FAILED_PRECONDITION]: 409,
  [grpc.status.RESOURCE_EXHAUSTED]: 429,
  [grpc.status.UNIMPLEMENTED]: 501,
  [grpc.status.UNAVAILABLE]: 503,
  [grpc.status.DEADLINE_EXCEEDED]: 504,
};

export type AdminHandlers = grpc.UntypedServiceImplementation;

/** Calls handlers[method] with the request as the identity; resolves with its response. */
export function callAdmin<Response>(
  handlers: AdminHandlers,
  method: string,
  request: unknown,
  identity: Identity,
): Promise<Response> {
  const handler = handlers[method] as grpc.handleUnaryCall<unknown, unknown> | undefined;
  if (handler === undefined) throw new TypeError(`AdminService has no handler ${method}`);
  const call = {
    request,
    metadata: new grpc.Metadata(),
    getPeer: () => identity.from,
    cancelled: false,
  };
  attachIdentity(call, identity);
  return new Promise<Response>((resolve, reject) => {
    handler(call as unknown as grpc.ServerUnaryCall<unknown, unknown>, (error, response) => {
      if (error === null || error === undefined) resolve(response as Response);
      else reject(httpErrorOfStatus(error));
    });
  });
}

function httpErrorOfStatus(error: grpc.ServiceError | Partial<grpc.StatusObject>): HttpError {
  const code = error.code ?? grpc.status.INTERNAL;
  const metadata = error.metadata ?? undefined;
  const reason = metadataValue(metadata, REASON_KEY);
  const field = metadataValue(metadata, FIELD_KEY);
  const leaderId = metadataValue(metadata, LEADER_ID_KEY);
  const leaderAddress = metadataValue(metadata, LEADER_ADDRESS_KEY);
  // An operational error (UNAVAILABLE) says its code first (`not_leader: ...`); use it as the code.
  const coded =
    code === grpc.status.UNAVAILABLE ? /^([a-z_]{1,40}): /.exec(error.details ?? '')?.[1] : undefined;
  const name = (grpc.status[code] ?? 'INTERNAL').toLowerCase();
  return new HttpError(HTTP_STATUS[code] ?? 500, reason ?? coded ?? name, error.details ?? 'internal error', {
    ...(field === undefined ? {} : { field }),
    ...(leaderId === undefined ? {} : { leaderId }),
    ...(leaderAddress === undefined ? {} : { leaderAddress }),
  });
}
