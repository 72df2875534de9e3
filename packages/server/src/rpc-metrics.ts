// RPC metrics, taken at the edge: one wrapper around every handler of a service (outside the
// guard, so that refused calls count too) times each call and labels it with its service, method
// and gRPC status code, all bounded sets. A meter may be hung on a method to count what the call
// meant for the business (a lease granted, a denial and its reason; see licence-metrics.ts).
// Streams that carry replication (AppendEntriesStream) live as long as the link, so their length
// says nothing; they are passed through untimed.
import * as grpc from '@grpc/grpc-js';
import { FIELD_KEY, REASON_KEY } from '@tandem/wire';
import { Histogram, type Registry } from 'prom-client';

/** From half a millisecond (a read) to 10 s (a commit that waited for a peer's timeout). */
const RPC_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How a unary call ended, for a meter. */
export interface CallEnd {
  /** The decoded request (null for a client stream). */
  request: unknown;
  code: grpc.status;
  /** The tandem-reason metadata of a failed call (a ledger rejection's reason), or null. */
  reason: string | null;
  /** The tandem-field metadata of a failed call (the request field it is about), or null. */
  field: string | null;
}

export type CallMeter = (end: CallEnd) => void;

/** The label value of a status code: its name (OK, UNAVAILABLE...). */
function codeName(code: grpc.status): string {
  return grpc.status[code] ?? 'UNKNOWN';
}

function textOf(metadata: grpc.Metadata | undefined, key: string): string | null {
  const value = metadata?.get(key)[0];
  return typeof value === 'string' ? value : null;
}

export class RpcMetrics {
  private readonly duration: Histogram<'service' | 'method' | 'code'>;

  constructor(
    registry: Registry,
    /** Meters by "service/method" (the full service name, as in tandem.v1.WorkstationService/AcquireLease). */
    private readonly meters: ReadonlyMap<string, CallMeter> = new Map(),
  ) {
    this.duration = new Histogram({
      name: 'tandem_rpc_duration_seconds',
      help: 'Time from a gRPC call reaching the node to its answer, by service, method and status code.',
      labelNames: ['service', 'method', 'code'],
      buckets: RPC_SECONDS_BUCKETS,
      registers: [registry],
    });
  }

  /** The implementation with every unary and client-streaming handler timed. */
  instrument(
    service: string,
    definition: grpc.ServiceDefinition,
    implementation: grpc.UntypedServiceImplementation,
  ): grpc.UntypedServiceImplementation {
    const instrumented: grpc.UntypedServiceImplementation = { ...implementation };
    for (const [method, attributes] of Object.entries(definition)) {
      const handler = implementation[method];
      if (handler === undefined || attributes.responseStream) continue;
      const meter = this.meters.get(`${service}/${method}`) ?? null;
      const timed = handler as (call: { request?: unknown }, callback: grpc.sendUnaryData<unknown>) => void;
      instrumented[method] = ((call: { request?: unknown }, callback: grpc.sendUnaryData<unknown>) => {
        const startedMs = performance.now();
        timed(call, (error, value, trailer, flags) => {
          const code =
            error === null || error === undefined ? grpc.status.OK : (error.code ?? grpc.status.UNKNOWN);
          this.duration.observe(
            { service, method, code: codeName(code) },
            (performance.now() - startedMs) / 1000,
          );
          if (meter !== null) {
            meter({
              request: call.request ?? null,
              code,
              reason: textOf(error?.metadata, REASON_KEY),
              field: textOf(error?.metadata, FIELD_KEY),
            });
          }
          callback(error, value, trailer, flags);
        });
      }) as grpc.UntypedHandleCall;
    }
    return instrumented;
  }
}
