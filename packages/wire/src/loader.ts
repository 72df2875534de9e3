// Loads the gRPC contract at run time with the same options the generated types were made with,
// so that the runtime objects match the types in src/generated.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/tandem.js';

export const PROTO_FILE = 'tandem/v1/tandem.proto';

/** The options proto-loader-gen-types was run with (see scripts/generate.mjs). */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** Finds proto/ by walking up from this module, which works from src/ (tsx) and dist/src/. */
export function protoRoot(): string {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth += 1) {
    const candidate = path.join(directory, 'proto');
    if (existsSync(path.join(candidate, PROTO_FILE))) return candidate;
    directory = path.dirname(directory);
  }
  throw new Error(`cannot find proto/${PROTO_FILE} above ${fileURLToPath(import.meta.url)}`);
}

let cachedDefinition: protoLoader.PackageDefinition | undefined;
let cachedProto: ProtoGrpcType | undefined;

export function packageDefinition(): protoLoader.PackageDefinition {
  cachedDefinition ??= protoLoader.loadSync(PROTO_FILE, { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
  return cachedDefinition;
}

/** The loaded tandem.v1 package: service constructors and their definitions. */
export function loadTandemProto(): ProtoGrpcType {
  cachedProto ??= grpc.loadPackageDefinition(packageDefinition()) as unknown as ProtoGrpcType;
  return cachedProto;
}
