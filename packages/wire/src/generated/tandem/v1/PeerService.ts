// Original file: tandem/v1/internal/peer.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AppendEntriesRequest as _tandem_v1_AppendEntriesRequest, AppendEntriesRequest__Output as _tandem_v1_AppendEntriesRequest__Output } from '../../tandem/v1/AppendEntriesRequest.js';
import type { AppendEntriesResponse as _tandem_v1_AppendEntriesResponse, AppendEntriesResponse__Output as _tandem_v1_AppendEntriesResponse__Output } from '../../tandem/v1/AppendEntriesResponse.js';
import type { AppendEntriesStreamRequest as _tandem_v1_AppendEntriesStreamRequest, AppendEntriesStreamRequest__Output as _tandem_v1_AppendEntriesStreamRequest__Output } from '../../tandem/v1/AppendEntriesStreamRequest.js';
import type { AppendEntriesStreamResponse as _tandem_v1_AppendEntriesStreamResponse, AppendEntriesStreamResponse__Output as _tandem_v1_AppendEntriesStreamResponse__Output } from '../../tandem/v1/AppendEntriesStreamResponse.js';
import type { InstallSnapshotChunk as _tandem_v1_InstallSnapshotChunk, InstallSnapshotChunk__Output as _tandem_v1_InstallSnapshotChunk__Output } from '../../tandem/v1/InstallSnapshotChunk.js';
import type { InstallSnapshotResponse as _tandem_v1_InstallSnapshotResponse, InstallSnapshotResponse__Output as _tandem_v1_InstallSnapshotResponse__Output } from '../../tandem/v1/InstallSnapshotResponse.js';
import type { MergeOfferRequest as _tandem_v1_MergeOfferRequest, MergeOfferRequest__Output as _tandem_v1_MergeOfferRequest__Output } from '../../tandem/v1/MergeOfferRequest.js';
import type { MergeOfferResponse as _tandem_v1_MergeOfferResponse, MergeOfferResponse__Output as _tandem_v1_MergeOfferResponse__Output } from '../../tandem/v1/MergeOfferResponse.js';
import type { RequestVoteRequest as _tandem_v1_RequestVoteRequest, RequestVoteRequest__Output as _tandem_v1_RequestVoteRequest__Output } from '../../tandem/v1/RequestVoteRequest.js';
import type { RequestVoteResponse as _tandem_v1_RequestVoteResponse, RequestVoteResponse__Output as _tandem_v1_RequestVoteResponse__Output } from '../../tandem/v1/RequestVoteResponse.js';
import type { TimeoutNowRequest as _tandem_v1_TimeoutNowRequest, TimeoutNowRequest__Output as _tandem_v1_TimeoutNowRequest__Output } from '../../tandem/v1/TimeoutNowRequest.js';
import type { TimeoutNowResponse as _tandem_v1_TimeoutNowResponse, TimeoutNowResponse__Output as _tandem_v1_TimeoutNowResponse__Output } from '../../tandem/v1/TimeoutNowResponse.js';

export interface PeerServiceClient extends grpc.Client {
  AppendEntries(argument: _tandem_v1_AppendEntriesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_AppendEntriesResponse__Output>): grpc.ClientUnaryCall;
  AppendEntries(argument: _tandem_v1_AppendEntriesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_AppendEntriesResponse__Output>): grpc.ClientUnaryCall;
  AppendEntries(argument: _tandem_v1_AppendEntriesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_AppendEntriesResponse__Output>): grpc.ClientUnaryCall;
  AppendEntries(argument: _tandem_v1_AppendEntriesRequest, callback: grpc.requestCallback<_tandem_v1_AppendEntriesResponse__Output>): grpc.ClientUnaryCall;
  appendEntries(argument: _tandem_v1_AppendEntriesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_AppendEntriesResponse__Output>): grpc.ClientUnaryCall;
  appendEntries(argument: _tandem_v1_AppendEntriesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_AppendEntriesResponse__Output>): grpc.ClientUnaryCall;
  appendEntries(argument: _tandem_v1_AppendEntriesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_AppendEntriesResponse__Output>): grpc.ClientUnaryCall;
  appendEntries(argument: _tandem_v1_AppendEntriesRequest, callback: grpc.requestCallback<_tandem_v1_AppendEntriesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The leader's appends to one follower, in order; each request is answered once, in any order.
   */
  AppendEntriesStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_tandem_v1_AppendEntriesStreamRequest, _tandem_v1_AppendEntriesStreamResponse__Output>;
  AppendEntriesStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_tandem_v1_AppendEntriesStreamRequest, _tandem_v1_AppendEntriesStreamResponse__Output>;
  /**
   * The leader's appends to one follower, in order; each request is answered once, in any order.
   */
  appendEntriesStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_tandem_v1_AppendEntriesStreamRequest, _tandem_v1_AppendEntriesStreamResponse__Output>;
  appendEntriesStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_tandem_v1_AppendEntriesStreamRequest, _tandem_v1_AppendEntriesStreamResponse__Output>;
  
  InstallSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_tandem_v1_InstallSnapshotChunk>;
  InstallSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_tandem_v1_InstallSnapshotChunk>;
  InstallSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_tandem_v1_InstallSnapshotChunk>;
  InstallSnapshot(callback: grpc.requestCallback<_tandem_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_tandem_v1_InstallSnapshotChunk>;
  installSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_tandem_v1_InstallSnapshotChunk>;
  installSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_tandem_v1_InstallSnapshotChunk>;
  installSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_tandem_v1_InstallSnapshotChunk>;
  installSnapshot(callback: grpc.requestCallback<_tandem_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_tandem_v1_InstallSnapshotChunk>;
  
  MergeOffer(argument: _tandem_v1_MergeOfferRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_MergeOfferResponse__Output>): grpc.ClientUnaryCall;
  MergeOffer(argument: _tandem_v1_MergeOfferRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_MergeOfferResponse__Output>): grpc.ClientUnaryCall;
  MergeOffer(argument: _tandem_v1_MergeOfferRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_MergeOfferResponse__Output>): grpc.ClientUnaryCall;
  MergeOffer(argument: _tandem_v1_MergeOfferRequest, callback: grpc.requestCallback<_tandem_v1_MergeOfferResponse__Output>): grpc.ClientUnaryCall;
  mergeOffer(argument: _tandem_v1_MergeOfferRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_MergeOfferResponse__Output>): grpc.ClientUnaryCall;
  mergeOffer(argument: _tandem_v1_MergeOfferRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_MergeOfferResponse__Output>): grpc.ClientUnaryCall;
  mergeOffer(argument: _tandem_v1_MergeOfferRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_MergeOfferResponse__Output>): grpc.ClientUnaryCall;
  mergeOffer(argument: _tandem_v1_MergeOfferRequest, callback: grpc.requestCallback<_tandem_v1_MergeOfferResponse__Output>): grpc.ClientUnaryCall;
  
  RequestVote(argument: _tandem_v1_RequestVoteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  RequestVote(argument: _tandem_v1_RequestVoteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  RequestVote(argument: _tandem_v1_RequestVoteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  RequestVote(argument: _tandem_v1_RequestVoteRequest, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  requestVote(argument: _tandem_v1_RequestVoteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  requestVote(argument: _tandem_v1_RequestVoteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  requestVote(argument: _tandem_v1_RequestVoteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  requestVote(argument: _tandem_v1_RequestVoteRequest, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  
  TimeoutNow(argument: _tandem_v1_TimeoutNowRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_TimeoutNowResponse__Output>): grpc.ClientUnaryCall;
  TimeoutNow(argument: _tandem_v1_TimeoutNowRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_TimeoutNowResponse__Output>): grpc.ClientUnaryCall;
  TimeoutNow(argument: _tandem_v1_TimeoutNowRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_TimeoutNowResponse__Output>): grpc.ClientUnaryCall;
  TimeoutNow(argument: _tandem_v1_TimeoutNowRequest, callback: grpc.requestCallback<_tandem_v1_TimeoutNowResponse__Output>): grpc.ClientUnaryCall;
  timeoutNow(argument: _tandem_v1_TimeoutNowRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_TimeoutNowResponse__Output>): grpc.ClientUnaryCall;
  timeoutNow(argument: _tandem_v1_TimeoutNowRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_TimeoutNowResponse__Output>): grpc.ClientUnaryCall;
  timeoutNow(argument: _tandem_v1_TimeoutNowRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_TimeoutNowResponse__Output>): grpc.ClientUnaryCall;
  timeoutNow(argument: _tandem_v1_TimeoutNowRequest, callback: grpc.requestCallback<_tandem_v1_TimeoutNowResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface PeerServiceHandlers extends grpc.UntypedServiceImplementation {
  AppendEntries: grpc.handleUnaryCall<_tandem_v1_AppendEntriesRequest__Output, _tandem_v1_AppendEntriesResponse>;
  
  /**
   * The leader's appends to one follower, in order; each request is answered once, in any order.
   */
  AppendEntriesStream: grpc.handleBidiStreamingCall<_tandem_v1_AppendEntriesStreamRequest__Output, _tandem_v1_AppendEntriesStreamResponse>;
  
  InstallSnapshot: grpc.handleClientStreamingCall<_tandem_v1_InstallSnapshotChunk__Output, _tandem_v1_InstallSnapshotResponse>;
  
  MergeOffer: grpc.handleUnaryCall<_tandem_v1_MergeOfferRequest__Output, _tandem_v1_MergeOfferResponse>;
  
  RequestVote: grpc.handleUnaryCall<_tandem_v1_RequestVoteRequest__Output, _tandem_v1_RequestVoteResponse>;
  
  TimeoutNow: grpc.handleUnaryCall<_tandem_v1_TimeoutNowRequest__Output, _tandem_v1_TimeoutNowResponse>;
  
}

export interface PeerServiceDefinition extends grpc.ServiceDefinition {
  AppendEntries: MethodDefinition<_tandem_v1_AppendEntriesRequest, _tandem_v1_AppendEntriesResponse, _tandem_v1_AppendEntriesRequest__Output, _tandem_v1_AppendEntriesResponse__Output>
  AppendEntriesStream: MethodDefinition<_tandem_v1_AppendEntriesStreamRequest, _tandem_v1_AppendEntriesStreamResponse, _tandem_v1_AppendEntriesStreamRequest__Output, _tandem_v1_AppendEntriesStreamResponse__Output>
  InstallSnapshot: MethodDefinition<_tandem_v1_InstallSnapshotChunk, _tandem_v1_InstallSnapshotResponse, _tandem_v1_InstallSnapshotChunk__Output, _tandem_v1_InstallSnapshotResponse__Output>
  MergeOffer: MethodDefinition<_tandem_v1_MergeOfferRequest, _tandem_v1_MergeOfferResponse, _tandem_v1_MergeOfferRequest__Output, _tandem_v1_MergeOfferResponse__Output>
  RequestVote: MethodDefinition<_tandem_v1_RequestVoteRequest, _tandem_v1_RequestVoteResponse, _tandem_v1_RequestVoteRequest__Output, _tandem_v1_RequestVoteResponse__Output>
  TimeoutNow: MethodDefinition<_tandem_v1_TimeoutNowRequest, _tandem_v1_TimeoutNowResponse, _tandem_v1_TimeoutNowRequest__Output, _tandem_v1_TimeoutNowResponse__Output>
}
