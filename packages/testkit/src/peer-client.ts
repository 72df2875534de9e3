// Raw PeerService and WitnessService clients that speak as one node of the cluster, for tests that
// send forged or random peer messages (the forged-peer regression tests and the peer-message fuzz
// test): mutual TLS with `asNodeId`'s node certificate from the cluster's PKI, as a compromised or
// buggy peer would hold. Every such call goes through here.
import * as grpc from '@grpc/grpc-js';
import { CertificateFiles, channelCredentials } from '@tandem/pki';
import type {
  InstallSnapshotChunk,
  InstallSnapshotResponse__Output,
  PeerServiceClient,
  WitnessServiceClient,
} from '@tandem/wire';
import { loadTandemProto } from '@tandem/wire';
import type { TestPki } from './test-pki.js';

export interface PeerClient {
  /** The node whose identity the calls carry (its certificate, once peer links use TLS). */
  readonly asNodeId: string;
  readonly peer: PeerServiceClient;
  readonly witness: WitnessServiceClient;
  /**
   * Streams InstallSnapshot chunks and resolves with the answer or the error status; the stream is
   * cut after the chunks unless `end` is false (then it waits for the node's answer with the stream
   * still open, as a leader that has not finished would).
   */
  installSnapshot(
    chunks: InstallSnapshotChunk[],
    options?: { timeoutMs?: number; end?: boolean },
  ): Promise<{ response: InstallSnapshotResponse__Output | null; error: grpc.ServiceError | null }>;
  close(): void;
}

/**
 * address: a data node's peer port, or the witness's port. pki: the cluster's, whose node
 * certificate for asNodeId the calls carry; null for a cluster that runs insecure.
 */
export async function peerClient(
  address: string,
  asNodeId: string,
  pki: TestPki | null,
): Promise<PeerClient> {
  const proto = loadTandemProto();
  const files = pki === null ? null : new CertificateFiles(await pki.node(asNodeId), { watchIntervalMs: 0 });
  const credentials =
    files === null ? grpc.credentials.createInsecure() : channelCredentials(files, { role: 'any-node' });
  const peer = new proto.tandem.v1.PeerService(address, credentials);
  const witness = new proto.tandem.v1.WitnessService(address, credentials, {
    channelOverride: peer.getChannel() as grpc.Channel,
  });
  return {
    asNodeId,
    peer,
    witness,
    installSnapshot(chunks, options = {}) {
      const timeoutMs = options.timeoutMs ?? 5000;
      return new Promise((resolve) => {
        const stream = peer.InstallSnapshot(
          new grpc.Metadata(),
          { deadline: Date.now() + timeoutMs },
          (error: grpc.ServiceError | null, response?: InstallSnapshotResponse__Output) =>
            resolve({ response: response ?? null, error }),
        );
        for (const chunk of chunks) stream.write(chunk);
        if (options.end !== false) stream.end();
      });
    },
    close() {
      peer.close();
      witness.close();
      files?.close();
    },
  };
}
