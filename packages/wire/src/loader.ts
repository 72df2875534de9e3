// Loads the gRPC contract at run time with the same options the generated types were made with,
// so that the runtime objects match the types in src/generated.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as AdminProto } from './generated/admin.js';
import type { ProtoGrpcType as CommonProto } from './generated/common.js';
import type { ProtoGrpcType as PeerProto } from './generated/peer.js';
import type { ProtoGrpcType as WitnessProto } from './generated/witness.js';
import type { ProtoGrpcType as WorkstationProto } from './generated/workstation.js';

/**
 * The contract's files under proto/, all package tandem.v1: the public API, then the internal
 * protocol between the nodes and the witness (test/proto-files.test.ts checks this is every file).
 */
export const PROTO_FILES: readonly string[] = [
  'tandem/v1/common.proto',
  'tandem/v1/workstation.proto',
  'tandem/v1/admin.proto',
  'tandem/v1/internal/peer.proto',
  'tandem/v1/internal/witness.proto',
];

/** The loaded tandem.v1 package: every service and message of every file. */
export type ProtoGrpcType = CommonProto & WorkstationProto & AdminProto & PeerProto & WitnessProto;

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
    if (PROTO_FILES.every((file) => existsSync(path.join(candidate, file)))) return candidate;
    directory = path.dirname(directory);
  }
  throw new Error(
    `cannot find proto/ with ${PROTO_FILES.join(', ')} above ${fileURLToPath(import.meta.url)}`,
  );
}

let cachedDefinition: protoLoader.PackageDefinition | undefined;
let cachedProto: ProtoGrpcType | undefined;

export function packageDefinition(): protoLoader.PackageDefinition {
  cachedDefinition ??= protoLoader.loadSync([...PROTO_FILES], {
    ...LOADER_OPTIONS,
    includeDirs: [protoRoot()],
  });
  return cachedDefinition;
}

/** The loaded tandem.v1 package: service constructors and their definitions. */
export function loadTandemProto(): ProtoGrpcType {
  cachedProto ??= grpc.loadPackageDefinition(packageDefinition()) as unknown as ProtoGrpcType;
  return cachedProto;
}
