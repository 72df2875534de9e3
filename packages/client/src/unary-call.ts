// grpc-js unary calls take a callback; the client works with promises.
import type * as grpc from '@grpc/grpc-js';

/** Starts a unary call and settles with its response, or rejects with the grpc ServiceError. */
export function unaryCall<Response>(
  start: (callback: grpc.requestCallback<Response>) => unknown,
): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    start((error, response) => {
      if (error !== null) reject(error);
      else if (response === undefined) reject(new Error('a unary call completed without a response'));
      else resolve(response);
    });
  });
}
