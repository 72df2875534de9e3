// WorkstationService: what the client library calls on behalf of a workstation.
import { randomBytes } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { Ledger } from '@tandem/ledger';
import type {
  AcquireLeaseRequest__Output,
  GetLicenceRequest__Output,
  LeaseResponse,
  LicenceResponse,
  ReleaseLeaseRequest__Output,
  ReleaseLeaseResponse,
  RenewLeaseRequest__Output,
  ReportUsageRequest__Output,
  ReportUsageResponse,
  WorkstationServiceHandlers,
} from '@tandem/wire';
import { leaseAnswerToWire, leaseToWire, licenceToWire, parametersFromWire } from '@tandem/wire';
import type { EdgeContext } from './edge.js';
import { responseHeader, unary } from './edge.js';
import { NotFoundError } from './errors.js';
import { workstationOf } from './identity.js';
import { execute, expectOutcome, type OperationPolicy } from './operations.js';
import type { Replica } from './replica.js';
import { requireIdentifier } from './request-checks.js';

/**
 * The unguessable part of a lease id: 64 random bits, chosen here and carried in the command, so
 * that every node that applies it makes the same id. A retry draws another, which changes nothing:
 * the request id answers it.
 */
export function leaseNonce(): string {
  return randomBytes(8).toString('hex');
}

/** Reads answer from the leader's applied state, so that a client never reads behind its writes. */
export function licenceResponse(context: EdgeContext, replica: Replica, licenceId: string): LicenceResponse {
  replica.assertReadable();
  requireIdentifier(licenceId, 'licence_id');
  const ledger = replica.ledger;
  const licence = ledger.getLicence(licenceId);
  if (licence === undefined) throw new NotFoundError('licence_id', `licence "${licenceId}" does not exist`);
  return {
    header: responseHeader(context),
    licence: licenceToWire(licence, licenceFigures(ledger, licenceId)),
  };
}

export function licenceFigures(ledger: Ledger, licenceId: string) {
  const current = ledger.currentUsage(licenceId, ledger.clockMs);
  return {
    seatsInUse: ledger.seatsInUse(licenceId),
    usageThisPeriod: current?.used ?? 0,
    periodStartMs: current?.periodStartMs ?? 0,
  };
}

export function workstationService(
  context: EdgeContext,
  replica: Replica,
  policy: OperationPolicy,
): WorkstationServiceHandlers & grpc.UntypedServiceImplementation {
  return {
    AcquireLease: unary(
      context,
      async (request: AcquireLeaseRequest__Output, call): Promise<LeaseResponse> => {
        const { outcome, index } = await execute(
          replica,
          {
            type: 'acquire_lease',
            requestId: request.requestId,
            licenceId: request.licenceId,
            workstationId: request.workstationId,
            parameters: parametersFromWire(request.parameters),
            ttlMs: request.ttlMs,
            nonce: leaseNonce(),
          },
          policy,
          { workstationId: workstationOf(call) },
        );
        return {
          header: responseHeader(context, index),
          lease: leaseToWire(expectOutcome(outcome, 'lease').lease),
        };
      },
    ),
    RenewLease: unary(context, async (request: RenewLeaseRequest__Output, call): Promise<LeaseResponse> => {
      const { outcome, index } = await execute(
        replica,
        { type: 'renew_lease', requestId: request.requestId, leaseId: request.leaseId, ttlMs: request.ttlMs },
        policy,
        { workstationId: workstationOf(call) },
      );
      // Pair mode: recorded as an intent when this side does not know the lease (operations.ts).
      return { header: responseHeader(context, index), ...leaseAnswerToWire(outcome) };
    }),
    ReleaseLease: unary(
      context,
      async (request: ReleaseLeaseRequest__Output, call): Promise<ReleaseLeaseResponse> => {
        const { outcome, index } = await execute(
          replica,
          { type: 'release_lease', requestId: request.requestId, leaseId: request.leaseId },
          policy,
          { workstationId: workstationOf(call) },
        );
        return { header: responseHeader(context, index), ...leaseAnswerToWire(outcome) };
      },
    ),
    ReportUsage: unary(
      context,
      async (request: ReportUsageRequest__Output, call): Promise<ReportUsageResponse> => {
        const { outcome, index } = await execute(
          replica,
          {
            type: 'report_usage',
            requestId: request.requestId,
            licenceId: request.licenceId,
            workstationId: request.workstationId,
            units: request.units,
          },
          policy,
          { workstationId: workstationOf(call) },
        );
        const usage = expectOutcome(outcome, 'usage');
        const response: ReportUsageResponse = {
          header: responseHeader(context, index),
          licenceId: usage.licenceId,
          periodStartMs: usage.periodStartMs,
          used: usage.used,
        };
        if (usage.remaining !== null) response.remaining = usage.remaining;
        return response;
      },
    ),
    GetLicence: unary(context, (request: GetLicenceRequest__Output) =>
      licenceResponse(context, replica, request.licenceId),
    ),
  };
}
