// Original file: tandem/v1/internal/witness.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { RecordInSyncRequest as _tandem_v1_RecordInSyncRequest, RecordInSyncRequest__Output as _tandem_v1_RecordInSyncRequest__Output } from '../../tandem/v1/RecordInSyncRequest.js';
import type { RecordInSyncResponse as _tandem_v1_RecordInSyncResponse, RecordInSyncResponse__Output as _tandem_v1_RecordInSyncResponse__Output } from '../../tandem/v1/RecordInSyncResponse.js';
import type { RequestVoteRequest as _tandem_v1_RequestVoteRequest, RequestVoteRequest__Output as _tandem_v1_RequestVoteRequest__Output } from '../../tandem/v1/RequestVoteRequest.js';
import type { RequestVoteResponse as _tandem_v1_RequestVoteResponse, RequestVoteResponse__Output as _tandem_v1_RequestVoteResponse__Output } from '../../tandem/v1/RequestVoteResponse.js';
import type { WitnessHeartbeatRequest as _tandem_v1_WitnessHeartbeatRequest, WitnessHeartbeatRequest__Output as _tandem_v1_WitnessHeartbeatRequest__Output } from '../../tandem/v1/WitnessHeartbeatRequest.js';
import type { WitnessHeartbeatResponse as _tandem_v1_WitnessHeartbeatResponse, WitnessHeartbeatResponse__Output as _tandem_v1_WitnessHeartbeatResponse__Output } from '../../tandem/v1/WitnessHeartbeatResponse.js';
import type { WitnessStateRequest as _tandem_v1_WitnessStateRequest, WitnessStateRequest__Output as _tandem_v1_WitnessStateRequest__Output } from '../../tandem/v1/WitnessStateRequest.js';
import type { WitnessStateResponse as _tandem_v1_WitnessStateResponse, WitnessStateResponse__Output as _tandem_v1_WitnessStateResponse__Output } from '../../tandem/v1/WitnessStateResponse.js';

export interface WitnessServiceClient extends grpc.Client {
  GetState(argument: _tandem_v1_WitnessStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_WitnessStateResponse__Output>): grpc.ClientUnaryCall;
  GetState(argument: _tandem_v1_WitnessStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_WitnessStateResponse__Output>): grpc.ClientUnaryCall;
  GetState(argument: _tandem_v1_WitnessStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_WitnessStateResponse__Output>): grpc.ClientUnaryCall;
  GetState(argument: _tandem_v1_WitnessStateRequest, callback: grpc.requestCallback<_tandem_v1_WitnessStateResponse__Output>): grpc.ClientUnaryCall;
  getState(argument: _tandem_v1_WitnessStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_WitnessStateResponse__Output>): grpc.ClientUnaryCall;
  getState(argument: _tandem_v1_WitnessStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_WitnessStateResponse__Output>): grpc.ClientUnaryCall;
  getState(argument: _tandem_v1_WitnessStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_WitnessStateResponse__Output>): grpc.ClientUnaryCall;
  getState(argument: _tandem_v1_WitnessStateRequest, callback: grpc.requestCallback<_tandem_v1_WitnessStateResponse__Output>): grpc.ClientUnaryCall;
  
  Heartbeat(argument: _tandem_v1_WitnessHeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_WitnessHeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _tandem_v1_WitnessHeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_WitnessHeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _tandem_v1_WitnessHeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_WitnessHeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _tandem_v1_WitnessHeartbeatRequest, callback: grpc.requestCallback<_tandem_v1_WitnessHeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _tandem_v1_WitnessHeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_WitnessHeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _tandem_v1_WitnessHeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_WitnessHeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _tandem_v1_WitnessHeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_WitnessHeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _tandem_v1_WitnessHeartbeatRequest, callback: grpc.requestCallback<_tandem_v1_WitnessHeartbeatResponse__Output>): grpc.ClientUnaryCall;
  
  RecordInSync(argument: _tandem_v1_RecordInSyncRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RecordInSyncResponse__Output>): grpc.ClientUnaryCall;
  RecordInSync(argument: _tandem_v1_RecordInSyncRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_RecordInSyncResponse__Output>): grpc.ClientUnaryCall;
  RecordInSync(argument: _tandem_v1_RecordInSyncRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RecordInSyncResponse__Output>): grpc.ClientUnaryCall;
  RecordInSync(argument: _tandem_v1_RecordInSyncRequest, callback: grpc.requestCallback<_tandem_v1_RecordInSyncResponse__Output>): grpc.ClientUnaryCall;
  recordInSync(argument: _tandem_v1_RecordInSyncRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RecordInSyncResponse__Output>): grpc.ClientUnaryCall;
  recordInSync(argument: _tandem_v1_RecordInSyncRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_RecordInSyncResponse__Output>): grpc.ClientUnaryCall;
  recordInSync(argument: _tandem_v1_RecordInSyncRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RecordInSyncResponse__Output>): grpc.ClientUnaryCall;
  recordInSync(argument: _tandem_v1_RecordInSyncRequest, callback: grpc.requestCallback<_tandem_v1_RecordInSyncResponse__Output>): grpc.ClientUnaryCall;
  
  RequestVote(argument: _tandem_v1_RequestVoteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  RequestVote(argument: _tandem_v1_RequestVoteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  RequestVote(argument: _tandem_v1_RequestVoteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  RequestVote(argument: _tandem_v1_RequestVoteRequest, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  requestVote(argument: _tandem_v1_RequestVoteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  requestVote(argument: _tandem_v1_RequestVoteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  requestVote(argument: _tandem_v1_RequestVoteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  requestVote(argument: _tandem_v1_RequestVoteRequest, callback: grpc.requestCallback<_tandem_v1_RequestVoteResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface WitnessServiceHandlers extends grpc.UntypedServiceImplementation {
  GetState: grpc.handleUnaryCall<_tandem_v1_WitnessStateRequest__Output, _tandem_v1_WitnessStateResponse>;
  
  Heartbeat: grpc.handleUnaryCall<_tandem_v1_WitnessHeartbeatRequest__Output, _tandem_v1_WitnessHeartbeatResponse>;
  
  RecordInSync: grpc.handleUnaryCall<_tandem_v1_RecordInSyncRequest__Output, _tandem_v1_RecordInSyncResponse>;
  
  RequestVote: grpc.handleUnaryCall<_tandem_v1_RequestVoteRequest__Output, _tandem_v1_RequestVoteResponse>;
  
}

export interface WitnessServiceDefinition extends grpc.ServiceDefinition {
  GetState: MethodDefinition<_tandem_v1_WitnessStateRequest, _tandem_v1_WitnessStateResponse, _tandem_v1_WitnessStateRequest__Output, _tandem_v1_WitnessStateResponse__Output>
  Heartbeat: MethodDefinition<_tandem_v1_WitnessHeartbeatRequest, _tandem_v1_WitnessHeartbeatResponse, _tandem_v1_WitnessHeartbeatRequest__Output, _tandem_v1_WitnessHeartbeatResponse__Output>
  RecordInSync: MethodDefinition<_tandem_v1_RecordInSyncRequest, _tandem_v1_RecordInSyncResponse, _tandem_v1_RecordInSyncRequest__Output, _tandem_v1_RecordInSyncResponse__Output>
  RequestVote: MethodDefinition<_tandem_v1_RequestVoteRequest, _tandem_v1_RequestVoteResponse, _tandem_v1_RequestVoteRequest__Output, _tandem_v1_RequestVoteResponse__Output>
}
