import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AppendEntriesRequest as _tandem_v1_AppendEntriesRequest, AppendEntriesRequest__Output as _tandem_v1_AppendEntriesRequest__Output } from './tandem/v1/AppendEntriesRequest.js';
import type { AppendEntriesResponse as _tandem_v1_AppendEntriesResponse, AppendEntriesResponse__Output as _tandem_v1_AppendEntriesResponse__Output } from './tandem/v1/AppendEntriesResponse.js';
import type { AppendEntriesStreamRequest as _tandem_v1_AppendEntriesStreamRequest, AppendEntriesStreamRequest__Output as _tandem_v1_AppendEntriesStreamRequest__Output } from './tandem/v1/AppendEntriesStreamRequest.js';
import type { AppendEntriesStreamResponse as _tandem_v1_AppendEntriesStreamResponse, AppendEntriesStreamResponse__Output as _tandem_v1_AppendEntriesStreamResponse__Output } from './tandem/v1/AppendEntriesStreamResponse.js';
import type { Entry as _tandem_v1_Entry, Entry__Output as _tandem_v1_Entry__Output } from './tandem/v1/Entry.js';
import type { GetLicenceRequest as _tandem_v1_GetLicenceRequest, GetLicenceRequest__Output as _tandem_v1_GetLicenceRequest__Output } from './tandem/v1/GetLicenceRequest.js';
import type { InstallSnapshotChunk as _tandem_v1_InstallSnapshotChunk, InstallSnapshotChunk__Output as _tandem_v1_InstallSnapshotChunk__Output } from './tandem/v1/InstallSnapshotChunk.js';
import type { InstallSnapshotResponse as _tandem_v1_InstallSnapshotResponse, InstallSnapshotResponse__Output as _tandem_v1_InstallSnapshotResponse__Output } from './tandem/v1/InstallSnapshotResponse.js';
import type { Lease as _tandem_v1_Lease, Lease__Output as _tandem_v1_Lease__Output } from './tandem/v1/Lease.js';
import type { Licence as _tandem_v1_Licence, Licence__Output as _tandem_v1_Licence__Output } from './tandem/v1/Licence.js';
import type { LicenceGrant as _tandem_v1_LicenceGrant, LicenceGrant__Output as _tandem_v1_LicenceGrant__Output } from './tandem/v1/LicenceGrant.js';
import type { LicenceResponse as _tandem_v1_LicenceResponse, LicenceResponse__Output as _tandem_v1_LicenceResponse__Output } from './tandem/v1/LicenceResponse.js';
import type { LicenceSpec as _tandem_v1_LicenceSpec, LicenceSpec__Output as _tandem_v1_LicenceSpec__Output } from './tandem/v1/LicenceSpec.js';
import type { MergeOfferRequest as _tandem_v1_MergeOfferRequest, MergeOfferRequest__Output as _tandem_v1_MergeOfferRequest__Output } from './tandem/v1/MergeOfferRequest.js';
import type { MergeOfferResponse as _tandem_v1_MergeOfferResponse, MergeOfferResponse__Output as _tandem_v1_MergeOfferResponse__Output } from './tandem/v1/MergeOfferResponse.js';
import type { PeerServiceClient as _tandem_v1_PeerServiceClient, PeerServiceDefinition as _tandem_v1_PeerServiceDefinition } from './tandem/v1/PeerService.js';
import type { Quota as _tandem_v1_Quota, Quota__Output as _tandem_v1_Quota__Output } from './tandem/v1/Quota.js';
import type { RecordInSyncRequest as _tandem_v1_RecordInSyncRequest, RecordInSyncRequest__Output as _tandem_v1_RecordInSyncRequest__Output } from './tandem/v1/RecordInSyncRequest.js';
import type { RecordInSyncResponse as _tandem_v1_RecordInSyncResponse, RecordInSyncResponse__Output as _tandem_v1_RecordInSyncResponse__Output } from './tandem/v1/RecordInSyncResponse.js';
import type { RequestVoteRequest as _tandem_v1_RequestVoteRequest, RequestVoteRequest__Output as _tandem_v1_RequestVoteRequest__Output } from './tandem/v1/RequestVoteRequest.js';
import type { RequestVoteResponse as _tandem_v1_RequestVoteResponse, RequestVoteResponse__Output as _tandem_v1_RequestVoteResponse__Output } from './tandem/v1/RequestVoteResponse.js';
import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from './tandem/v1/ResponseHeader.js';
import type { TimeoutNowRequest as _tandem_v1_TimeoutNowRequest, TimeoutNowRequest__Output as _tandem_v1_TimeoutNowRequest__Output } from './tandem/v1/TimeoutNowRequest.js';
import type { TimeoutNowResponse as _tandem_v1_TimeoutNowResponse, TimeoutNowResponse__Output as _tandem_v1_TimeoutNowResponse__Output } from './tandem/v1/TimeoutNowResponse.js';
import type { WitnessHeartbeatRequest as _tandem_v1_WitnessHeartbeatRequest, WitnessHeartbeatRequest__Output as _tandem_v1_WitnessHeartbeatRequest__Output } from './tandem/v1/WitnessHeartbeatRequest.js';
import type { WitnessHeartbeatResponse as _tandem_v1_WitnessHeartbeatResponse, WitnessHeartbeatResponse__Output as _tandem_v1_WitnessHeartbeatResponse__Output } from './tandem/v1/WitnessHeartbeatResponse.js';
import type { WitnessServiceClient as _tandem_v1_WitnessServiceClient, WitnessServiceDefinition as _tandem_v1_WitnessServiceDefinition } from './tandem/v1/WitnessService.js';
import type { WitnessStateRequest as _tandem_v1_WitnessStateRequest, WitnessStateRequest__Output as _tandem_v1_WitnessStateRequest__Output } from './tandem/v1/WitnessStateRequest.js';
import type { WitnessStateResponse as _tandem_v1_WitnessStateResponse, WitnessStateResponse__Output as _tandem_v1_WitnessStateResponse__Output } from './tandem/v1/WitnessStateResponse.js';
import type { WorkstationParameters as _tandem_v1_WorkstationParameters, WorkstationParameters__Output as _tandem_v1_WorkstationParameters__Output } from './tandem/v1/WorkstationParameters.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  tandem: {
    v1: {
      AppendEntriesRequest: MessageTypeDefinition<_tandem_v1_AppendEntriesRequest, _tandem_v1_AppendEntriesRequest__Output>
      AppendEntriesResponse: MessageTypeDefinition<_tandem_v1_AppendEntriesResponse, _tandem_v1_AppendEntriesResponse__Output>
      AppendEntriesStreamRequest: MessageTypeDefinition<_tandem_v1_AppendEntriesStreamRequest, _tandem_v1_AppendEntriesStreamRequest__Output>
      AppendEntriesStreamResponse: MessageTypeDefinition<_tandem_v1_AppendEntriesStreamResponse, _tandem_v1_AppendEntriesStreamResponse__Output>
      Entry: MessageTypeDefinition<_tandem_v1_Entry, _tandem_v1_Entry__Output>
      EntryKind: EnumTypeDefinition
      GetLicenceRequest: MessageTypeDefinition<_tandem_v1_GetLicenceRequest, _tandem_v1_GetLicenceRequest__Output>
      InstallSnapshotChunk: MessageTypeDefinition<_tandem_v1_InstallSnapshotChunk, _tandem_v1_InstallSnapshotChunk__Output>
      InstallSnapshotResponse: MessageTypeDefinition<_tandem_v1_InstallSnapshotResponse, _tandem_v1_InstallSnapshotResponse__Output>
      Lease: MessageTypeDefinition<_tandem_v1_Lease, _tandem_v1_Lease__Output>
      Licence: MessageTypeDefinition<_tandem_v1_Licence, _tandem_v1_Licence__Output>
      LicenceGrant: MessageTypeDefinition<_tandem_v1_LicenceGrant, _tandem_v1_LicenceGrant__Output>
      LicenceResponse: MessageTypeDefinition<_tandem_v1_LicenceResponse, _tandem_v1_LicenceResponse__Output>
      LicenceSpec: MessageTypeDefinition<_tandem_v1_LicenceSpec, _tandem_v1_LicenceSpec__Output>
      LicenceStatus: EnumTypeDefinition
      MergeOfferRequest: MessageTypeDefinition<_tandem_v1_MergeOfferRequest, _tandem_v1_MergeOfferRequest__Output>
      MergeOfferResponse: MessageTypeDefinition<_tandem_v1_MergeOfferResponse, _tandem_v1_MergeOfferResponse__Output>
      NodeState: EnumTypeDefinition
      PeerService: SubtypeConstructor<typeof grpc.Client, _tandem_v1_PeerServiceClient> & { service: _tandem_v1_PeerServiceDefinition }
      Period: EnumTypeDefinition
      Quota: MessageTypeDefinition<_tandem_v1_Quota, _tandem_v1_Quota__Output>
      RecordInSyncRequest: MessageTypeDefinition<_tandem_v1_RecordInSyncRequest, _tandem_v1_RecordInSyncRequest__Output>
      RecordInSyncResponse: MessageTypeDefinition<_tandem_v1_RecordInSyncResponse, _tandem_v1_RecordInSyncResponse__Output>
      RequestVoteRequest: MessageTypeDefinition<_tandem_v1_RequestVoteRequest, _tandem_v1_RequestVoteRequest__Output>
      RequestVoteResponse: MessageTypeDefinition<_tandem_v1_RequestVoteResponse, _tandem_v1_RequestVoteResponse__Output>
      ResponseHeader: MessageTypeDefinition<_tandem_v1_ResponseHeader, _tandem_v1_ResponseHeader__Output>
      Role: EnumTypeDefinition
      TimeoutNowRequest: MessageTypeDefinition<_tandem_v1_TimeoutNowRequest, _tandem_v1_TimeoutNowRequest__Output>
      TimeoutNowResponse: MessageTypeDefinition<_tandem_v1_TimeoutNowResponse, _tandem_v1_TimeoutNowResponse__Output>
      WitnessHeartbeatRequest: MessageTypeDefinition<_tandem_v1_WitnessHeartbeatRequest, _tandem_v1_WitnessHeartbeatRequest__Output>
      WitnessHeartbeatResponse: MessageTypeDefinition<_tandem_v1_WitnessHeartbeatResponse, _tandem_v1_WitnessHeartbeatResponse__Output>
      WitnessService: SubtypeConstructor<typeof grpc.Client, _tandem_v1_WitnessServiceClient> & { service: _tandem_v1_WitnessServiceDefinition }
      WitnessStateRequest: MessageTypeDefinition<_tandem_v1_WitnessStateRequest, _tandem_v1_WitnessStateRequest__Output>
      WitnessStateResponse: MessageTypeDefinition<_tandem_v1_WitnessStateResponse, _tandem_v1_WitnessStateResponse__Output>
      WorkstationParameters: MessageTypeDefinition<_tandem_v1_WorkstationParameters, _tandem_v1_WorkstationParameters__Output>
    }
  }
}

