import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AcquireLeaseRequest as _tandem_v1_AcquireLeaseRequest, AcquireLeaseRequest__Output as _tandem_v1_AcquireLeaseRequest__Output } from './tandem/v1/AcquireLeaseRequest.js';
import type { ActivateLicenceRequest as _tandem_v1_ActivateLicenceRequest, ActivateLicenceRequest__Output as _tandem_v1_ActivateLicenceRequest__Output } from './tandem/v1/ActivateLicenceRequest.js';
import type { Actor as _tandem_v1_Actor, Actor__Output as _tandem_v1_Actor__Output } from './tandem/v1/Actor.js';
import type { AdminServiceClient as _tandem_v1_AdminServiceClient, AdminServiceDefinition as _tandem_v1_AdminServiceDefinition } from './tandem/v1/AdminService.js';
import type { AppendEntriesRequest as _tandem_v1_AppendEntriesRequest, AppendEntriesRequest__Output as _tandem_v1_AppendEntriesRequest__Output } from './tandem/v1/AppendEntriesRequest.js';
import type { AppendEntriesResponse as _tandem_v1_AppendEntriesResponse, AppendEntriesResponse__Output as _tandem_v1_AppendEntriesResponse__Output } from './tandem/v1/AppendEntriesResponse.js';
import type { AppendEntriesStreamRequest as _tandem_v1_AppendEntriesStreamRequest, AppendEntriesStreamRequest__Output as _tandem_v1_AppendEntriesStreamRequest__Output } from './tandem/v1/AppendEntriesStreamRequest.js';
import type { AppendEntriesStreamResponse as _tandem_v1_AppendEntriesStreamResponse, AppendEntriesStreamResponse__Output as _tandem_v1_AppendEntriesStreamResponse__Output } from './tandem/v1/AppendEntriesStreamResponse.js';
import type { AuditOrigin as _tandem_v1_AuditOrigin, AuditOrigin__Output as _tandem_v1_AuditOrigin__Output } from './tandem/v1/AuditOrigin.js';
import type { AuditRecord as _tandem_v1_AuditRecord, AuditRecord__Output as _tandem_v1_AuditRecord__Output } from './tandem/v1/AuditRecord.js';
import type { ClusterStatusRequest as _tandem_v1_ClusterStatusRequest, ClusterStatusRequest__Output as _tandem_v1_ClusterStatusRequest__Output } from './tandem/v1/ClusterStatusRequest.js';
import type { ClusterStatusResponse as _tandem_v1_ClusterStatusResponse, ClusterStatusResponse__Output as _tandem_v1_ClusterStatusResponse__Output } from './tandem/v1/ClusterStatusResponse.js';
import type { DeactivateLicenceRequest as _tandem_v1_DeactivateLicenceRequest, DeactivateLicenceRequest__Output as _tandem_v1_DeactivateLicenceRequest__Output } from './tandem/v1/DeactivateLicenceRequest.js';
import type { DrainNodeRequest as _tandem_v1_DrainNodeRequest, DrainNodeRequest__Output as _tandem_v1_DrainNodeRequest__Output } from './tandem/v1/DrainNodeRequest.js';
import type { DrainResponse as _tandem_v1_DrainResponse, DrainResponse__Output as _tandem_v1_DrainResponse__Output } from './tandem/v1/DrainResponse.js';
import type { Entry as _tandem_v1_Entry, Entry__Output as _tandem_v1_Entry__Output } from './tandem/v1/Entry.js';
import type { GetLicenceRequest as _tandem_v1_GetLicenceRequest, GetLicenceRequest__Output as _tandem_v1_GetLicenceRequest__Output } from './tandem/v1/GetLicenceRequest.js';
import type { GetUsageRequest as _tandem_v1_GetUsageRequest, GetUsageRequest__Output as _tandem_v1_GetUsageRequest__Output } from './tandem/v1/GetUsageRequest.js';
import type { GetUsageResponse as _tandem_v1_GetUsageResponse, GetUsageResponse__Output as _tandem_v1_GetUsageResponse__Output } from './tandem/v1/GetUsageResponse.js';
import type { Incident as _tandem_v1_Incident, Incident__Output as _tandem_v1_Incident__Output } from './tandem/v1/Incident.js';
import type { InstallSnapshotChunk as _tandem_v1_InstallSnapshotChunk, InstallSnapshotChunk__Output as _tandem_v1_InstallSnapshotChunk__Output } from './tandem/v1/InstallSnapshotChunk.js';
import type { InstallSnapshotResponse as _tandem_v1_InstallSnapshotResponse, InstallSnapshotResponse__Output as _tandem_v1_InstallSnapshotResponse__Output } from './tandem/v1/InstallSnapshotResponse.js';
import type { Lease as _tandem_v1_Lease, Lease__Output as _tandem_v1_Lease__Output } from './tandem/v1/Lease.js';
import type { LeaseResponse as _tandem_v1_LeaseResponse, LeaseResponse__Output as _tandem_v1_LeaseResponse__Output } from './tandem/v1/LeaseResponse.js';
import type { Licence as _tandem_v1_Licence, Licence__Output as _tandem_v1_Licence__Output } from './tandem/v1/Licence.js';
import type { LicenceGrant as _tandem_v1_LicenceGrant, LicenceGrant__Output as _tandem_v1_LicenceGrant__Output } from './tandem/v1/LicenceGrant.js';
import type { LicenceResponse as _tandem_v1_LicenceResponse, LicenceResponse__Output as _tandem_v1_LicenceResponse__Output } from './tandem/v1/LicenceResponse.js';
import type { LicenceSpec as _tandem_v1_LicenceSpec, LicenceSpec__Output as _tandem_v1_LicenceSpec__Output } from './tandem/v1/LicenceSpec.js';
import type { ListAuditRequest as _tandem_v1_ListAuditRequest, ListAuditRequest__Output as _tandem_v1_ListAuditRequest__Output } from './tandem/v1/ListAuditRequest.js';
import type { ListAuditResponse as _tandem_v1_ListAuditResponse, ListAuditResponse__Output as _tandem_v1_ListAuditResponse__Output } from './tandem/v1/ListAuditResponse.js';
import type { ListIncidentsRequest as _tandem_v1_ListIncidentsRequest, ListIncidentsRequest__Output as _tandem_v1_ListIncidentsRequest__Output } from './tandem/v1/ListIncidentsRequest.js';
import type { ListIncidentsResponse as _tandem_v1_ListIncidentsResponse, ListIncidentsResponse__Output as _tandem_v1_ListIncidentsResponse__Output } from './tandem/v1/ListIncidentsResponse.js';
import type { ListLeasesRequest as _tandem_v1_ListLeasesRequest, ListLeasesRequest__Output as _tandem_v1_ListLeasesRequest__Output } from './tandem/v1/ListLeasesRequest.js';
import type { ListLeasesResponse as _tandem_v1_ListLeasesResponse, ListLeasesResponse__Output as _tandem_v1_ListLeasesResponse__Output } from './tandem/v1/ListLeasesResponse.js';
import type { ListLicencesRequest as _tandem_v1_ListLicencesRequest, ListLicencesRequest__Output as _tandem_v1_ListLicencesRequest__Output } from './tandem/v1/ListLicencesRequest.js';
import type { ListLicencesResponse as _tandem_v1_ListLicencesResponse, ListLicencesResponse__Output as _tandem_v1_ListLicencesResponse__Output } from './tandem/v1/ListLicencesResponse.js';
import type { MergeOfferRequest as _tandem_v1_MergeOfferRequest, MergeOfferRequest__Output as _tandem_v1_MergeOfferRequest__Output } from './tandem/v1/MergeOfferRequest.js';
import type { MergeOfferResponse as _tandem_v1_MergeOfferResponse, MergeOfferResponse__Output as _tandem_v1_MergeOfferResponse__Output } from './tandem/v1/MergeOfferResponse.js';
import type { NodeStatus as _tandem_v1_NodeStatus, NodeStatus__Output as _tandem_v1_NodeStatus__Output } from './tandem/v1/NodeStatus.js';
import type { PeerServiceClient as _tandem_v1_PeerServiceClient, PeerServiceDefinition as _tandem_v1_PeerServiceDefinition } from './tandem/v1/PeerService.js';
import type { Quota as _tandem_v1_Quota, Quota__Output as _tandem_v1_Quota__Output } from './tandem/v1/Quota.js';
import type { RecordInSyncRequest as _tandem_v1_RecordInSyncRequest, RecordInSyncRequest__Output as _tandem_v1_RecordInSyncRequest__Output } from './tandem/v1/RecordInSyncRequest.js';
import type { RecordInSyncResponse as _tandem_v1_RecordInSyncResponse, RecordInSyncResponse__Output as _tandem_v1_RecordInSyncResponse__Output } from './tandem/v1/RecordInSyncResponse.js';
import type { ReleaseLeaseRequest as _tandem_v1_ReleaseLeaseRequest, ReleaseLeaseRequest__Output as _tandem_v1_ReleaseLeaseRequest__Output } from './tandem/v1/ReleaseLeaseRequest.js';
import type { ReleaseLeaseResponse as _tandem_v1_ReleaseLeaseResponse, ReleaseLeaseResponse__Output as _tandem_v1_ReleaseLeaseResponse__Output } from './tandem/v1/ReleaseLeaseResponse.js';
import type { RenewLeaseRequest as _tandem_v1_RenewLeaseRequest, RenewLeaseRequest__Output as _tandem_v1_RenewLeaseRequest__Output } from './tandem/v1/RenewLeaseRequest.js';
import type { ReportUsageRequest as _tandem_v1_ReportUsageRequest, ReportUsageRequest__Output as _tandem_v1_ReportUsageRequest__Output } from './tandem/v1/ReportUsageRequest.js';
import type { ReportUsageResponse as _tandem_v1_ReportUsageResponse, ReportUsageResponse__Output as _tandem_v1_ReportUsageResponse__Output } from './tandem/v1/ReportUsageResponse.js';
import type { RequestVoteRequest as _tandem_v1_RequestVoteRequest, RequestVoteRequest__Output as _tandem_v1_RequestVoteRequest__Output } from './tandem/v1/RequestVoteRequest.js';
import type { RequestVoteResponse as _tandem_v1_RequestVoteResponse, RequestVoteResponse__Output as _tandem_v1_RequestVoteResponse__Output } from './tandem/v1/RequestVoteResponse.js';
import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from './tandem/v1/ResponseHeader.js';
import type { RevokeLeaseRequest as _tandem_v1_RevokeLeaseRequest, RevokeLeaseRequest__Output as _tandem_v1_RevokeLeaseRequest__Output } from './tandem/v1/RevokeLeaseRequest.js';
import type { RevokeLeaseResponse as _tandem_v1_RevokeLeaseResponse, RevokeLeaseResponse__Output as _tandem_v1_RevokeLeaseResponse__Output } from './tandem/v1/RevokeLeaseResponse.js';
import type { SnapshotRequest as _tandem_v1_SnapshotRequest, SnapshotRequest__Output as _tandem_v1_SnapshotRequest__Output } from './tandem/v1/SnapshotRequest.js';
import type { SnapshotResponse as _tandem_v1_SnapshotResponse, SnapshotResponse__Output as _tandem_v1_SnapshotResponse__Output } from './tandem/v1/SnapshotResponse.js';
import type { TimeoutNowRequest as _tandem_v1_TimeoutNowRequest, TimeoutNowRequest__Output as _tandem_v1_TimeoutNowRequest__Output } from './tandem/v1/TimeoutNowRequest.js';
import type { TimeoutNowResponse as _tandem_v1_TimeoutNowResponse, TimeoutNowResponse__Output as _tandem_v1_TimeoutNowResponse__Output } from './tandem/v1/TimeoutNowResponse.js';
import type { TransferLeadershipRequest as _tandem_v1_TransferLeadershipRequest, TransferLeadershipRequest__Output as _tandem_v1_TransferLeadershipRequest__Output } from './tandem/v1/TransferLeadershipRequest.js';
import type { TransferLeadershipResponse as _tandem_v1_TransferLeadershipResponse, TransferLeadershipResponse__Output as _tandem_v1_TransferLeadershipResponse__Output } from './tandem/v1/TransferLeadershipResponse.js';
import type { UndrainNodeRequest as _tandem_v1_UndrainNodeRequest, UndrainNodeRequest__Output as _tandem_v1_UndrainNodeRequest__Output } from './tandem/v1/UndrainNodeRequest.js';
import type { UpdateLicenceRequest as _tandem_v1_UpdateLicenceRequest, UpdateLicenceRequest__Output as _tandem_v1_UpdateLicenceRequest__Output } from './tandem/v1/UpdateLicenceRequest.js';
import type { UsagePeriod as _tandem_v1_UsagePeriod, UsagePeriod__Output as _tandem_v1_UsagePeriod__Output } from './tandem/v1/UsagePeriod.js';
import type { VerifyRequest as _tandem_v1_VerifyRequest, VerifyRequest__Output as _tandem_v1_VerifyRequest__Output } from './tandem/v1/VerifyRequest.js';
import type { VerifyResponse as _tandem_v1_VerifyResponse, VerifyResponse__Output as _tandem_v1_VerifyResponse__Output } from './tandem/v1/VerifyResponse.js';
import type { WitnessHeartbeatRequest as _tandem_v1_WitnessHeartbeatRequest, WitnessHeartbeatRequest__Output as _tandem_v1_WitnessHeartbeatRequest__Output } from './tandem/v1/WitnessHeartbeatRequest.js';
import type { WitnessHeartbeatResponse as _tandem_v1_WitnessHeartbeatResponse, WitnessHeartbeatResponse__Output as _tandem_v1_WitnessHeartbeatResponse__Output } from './tandem/v1/WitnessHeartbeatResponse.js';
import type { WitnessServiceClient as _tandem_v1_WitnessServiceClient, WitnessServiceDefinition as _tandem_v1_WitnessServiceDefinition } from './tandem/v1/WitnessService.js';
import type { WitnessStateRequest as _tandem_v1_WitnessStateRequest, WitnessStateRequest__Output as _tandem_v1_WitnessStateRequest__Output } from './tandem/v1/WitnessStateRequest.js';
import type { WitnessStateResponse as _tandem_v1_WitnessStateResponse, WitnessStateResponse__Output as _tandem_v1_WitnessStateResponse__Output } from './tandem/v1/WitnessStateResponse.js';
import type { WorkstationParameters as _tandem_v1_WorkstationParameters, WorkstationParameters__Output as _tandem_v1_WorkstationParameters__Output } from './tandem/v1/WorkstationParameters.js';
import type { WorkstationServiceClient as _tandem_v1_WorkstationServiceClient, WorkstationServiceDefinition as _tandem_v1_WorkstationServiceDefinition } from './tandem/v1/WorkstationService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  tandem: {
    v1: {
      AcquireLeaseRequest: MessageTypeDefinition<_tandem_v1_AcquireLeaseRequest, _tandem_v1_AcquireLeaseRequest__Output>
      ActivateLicenceRequest: MessageTypeDefinition<_tandem_v1_ActivateLicenceRequest, _tandem_v1_ActivateLicenceRequest__Output>
      Actor: MessageTypeDefinition<_tandem_v1_Actor, _tandem_v1_Actor__Output>
      AdminService: SubtypeConstructor<typeof grpc.Client, _tandem_v1_AdminServiceClient> & { service: _tandem_v1_AdminServiceDefinition }
      AppendEntriesRequest: MessageTypeDefinition<_tandem_v1_AppendEntriesRequest, _tandem_v1_AppendEntriesRequest__Output>
      AppendEntriesResponse: MessageTypeDefinition<_tandem_v1_AppendEntriesResponse, _tandem_v1_AppendEntriesResponse__Output>
      AppendEntriesStreamRequest: MessageTypeDefinition<_tandem_v1_AppendEntriesStreamRequest, _tandem_v1_AppendEntriesStreamRequest__Output>
      AppendEntriesStreamResponse: MessageTypeDefinition<_tandem_v1_AppendEntriesStreamResponse, _tandem_v1_AppendEntriesStreamResponse__Output>
      AuditOrigin: MessageTypeDefinition<_tandem_v1_AuditOrigin, _tandem_v1_AuditOrigin__Output>
      AuditRecord: MessageTypeDefinition<_tandem_v1_AuditRecord, _tandem_v1_AuditRecord__Output>
      ClusterStatusRequest: MessageTypeDefinition<_tandem_v1_ClusterStatusRequest, _tandem_v1_ClusterStatusRequest__Output>
      ClusterStatusResponse: MessageTypeDefinition<_tandem_v1_ClusterStatusResponse, _tandem_v1_ClusterStatusResponse__Output>
      DeactivateLicenceRequest: MessageTypeDefinition<_tandem_v1_DeactivateLicenceRequest, _tandem_v1_DeactivateLicenceRequest__Output>
      DrainNodeRequest: MessageTypeDefinition<_tandem_v1_DrainNodeRequest, _tandem_v1_DrainNodeRequest__Output>
      DrainResponse: MessageTypeDefinition<_tandem_v1_DrainResponse, _tandem_v1_DrainResponse__Output>
      Entry: MessageTypeDefinition<_tandem_v1_Entry, _tandem_v1_Entry__Output>
      EntryKind: EnumTypeDefinition
      GetLicenceRequest: MessageTypeDefinition<_tandem_v1_GetLicenceRequest, _tandem_v1_GetLicenceRequest__Output>
      GetUsageRequest: MessageTypeDefinition<_tandem_v1_GetUsageRequest, _tandem_v1_GetUsageRequest__Output>
      GetUsageResponse: MessageTypeDefinition<_tandem_v1_GetUsageResponse, _tandem_v1_GetUsageResponse__Output>
      Incident: MessageTypeDefinition<_tandem_v1_Incident, _tandem_v1_Incident__Output>
      IncidentKind: EnumTypeDefinition
      InstallSnapshotChunk: MessageTypeDefinition<_tandem_v1_InstallSnapshotChunk, _tandem_v1_InstallSnapshotChunk__Output>
      InstallSnapshotResponse: MessageTypeDefinition<_tandem_v1_InstallSnapshotResponse, _tandem_v1_InstallSnapshotResponse__Output>
      Lease: MessageTypeDefinition<_tandem_v1_Lease, _tandem_v1_Lease__Output>
      LeaseResponse: MessageTypeDefinition<_tandem_v1_LeaseResponse, _tandem_v1_LeaseResponse__Output>
      Licence: MessageTypeDefinition<_tandem_v1_Licence, _tandem_v1_Licence__Output>
      LicenceGrant: MessageTypeDefinition<_tandem_v1_LicenceGrant, _tandem_v1_LicenceGrant__Output>
      LicenceResponse: MessageTypeDefinition<_tandem_v1_LicenceResponse, _tandem_v1_LicenceResponse__Output>
      LicenceSpec: MessageTypeDefinition<_tandem_v1_LicenceSpec, _tandem_v1_LicenceSpec__Output>
      LicenceStatus: EnumTypeDefinition
      ListAuditRequest: MessageTypeDefinition<_tandem_v1_ListAuditRequest, _tandem_v1_ListAuditRequest__Output>
      ListAuditResponse: MessageTypeDefinition<_tandem_v1_ListAuditResponse, _tandem_v1_ListAuditResponse__Output>
      ListIncidentsRequest: MessageTypeDefinition<_tandem_v1_ListIncidentsRequest, _tandem_v1_ListIncidentsRequest__Output>
      ListIncidentsResponse: MessageTypeDefinition<_tandem_v1_ListIncidentsResponse, _tandem_v1_ListIncidentsResponse__Output>
      ListLeasesRequest: MessageTypeDefinition<_tandem_v1_ListLeasesRequest, _tandem_v1_ListLeasesRequest__Output>
      ListLeasesResponse: MessageTypeDefinition<_tandem_v1_ListLeasesResponse, _tandem_v1_ListLeasesResponse__Output>
      ListLicencesRequest: MessageTypeDefinition<_tandem_v1_ListLicencesRequest, _tandem_v1_ListLicencesRequest__Output>
      ListLicencesResponse: MessageTypeDefinition<_tandem_v1_ListLicencesResponse, _tandem_v1_ListLicencesResponse__Output>
      MergeOfferRequest: MessageTypeDefinition<_tandem_v1_MergeOfferRequest, _tandem_v1_MergeOfferRequest__Output>
      MergeOfferResponse: MessageTypeDefinition<_tandem_v1_MergeOfferResponse, _tandem_v1_MergeOfferResponse__Output>
      NodeState: EnumTypeDefinition
      NodeStatus: MessageTypeDefinition<_tandem_v1_NodeStatus, _tandem_v1_NodeStatus__Output>
      PeerService: SubtypeConstructor<typeof grpc.Client, _tandem_v1_PeerServiceClient> & { service: _tandem_v1_PeerServiceDefinition }
      Period: EnumTypeDefinition
      Quota: MessageTypeDefinition<_tandem_v1_Quota, _tandem_v1_Quota__Output>
      RecordInSyncRequest: MessageTypeDefinition<_tandem_v1_RecordInSyncRequest, _tandem_v1_RecordInSyncRequest__Output>
      RecordInSyncResponse: MessageTypeDefinition<_tandem_v1_RecordInSyncResponse, _tandem_v1_RecordInSyncResponse__Output>
      ReleaseLeaseRequest: MessageTypeDefinition<_tandem_v1_ReleaseLeaseRequest, _tandem_v1_ReleaseLeaseRequest__Output>
      ReleaseLeaseResponse: MessageTypeDefinition<_tandem_v1_ReleaseLeaseResponse, _tandem_v1_ReleaseLeaseResponse__Output>
      RenewLeaseRequest: MessageTypeDefinition<_tandem_v1_RenewLeaseRequest, _tandem_v1_RenewLeaseRequest__Output>
      ReportUsageRequest: MessageTypeDefinition<_tandem_v1_ReportUsageRequest, _tandem_v1_ReportUsageRequest__Output>
      ReportUsageResponse: MessageTypeDefinition<_tandem_v1_ReportUsageResponse, _tandem_v1_ReportUsageResponse__Output>
      RequestVoteRequest: MessageTypeDefinition<_tandem_v1_RequestVoteRequest, _tandem_v1_RequestVoteRequest__Output>
      RequestVoteResponse: MessageTypeDefinition<_tandem_v1_RequestVoteResponse, _tandem_v1_RequestVoteResponse__Output>
      ResponseHeader: MessageTypeDefinition<_tandem_v1_ResponseHeader, _tandem_v1_ResponseHeader__Output>
      RevokeLeaseRequest: MessageTypeDefinition<_tandem_v1_RevokeLeaseRequest, _tandem_v1_RevokeLeaseRequest__Output>
      RevokeLeaseResponse: MessageTypeDefinition<_tandem_v1_RevokeLeaseResponse, _tandem_v1_RevokeLeaseResponse__Output>
      Role: EnumTypeDefinition
      SnapshotRequest: MessageTypeDefinition<_tandem_v1_SnapshotRequest, _tandem_v1_SnapshotRequest__Output>
      SnapshotResponse: MessageTypeDefinition<_tandem_v1_SnapshotResponse, _tandem_v1_SnapshotResponse__Output>
      TimeoutNowRequest: MessageTypeDefinition<_tandem_v1_TimeoutNowRequest, _tandem_v1_TimeoutNowRequest__Output>
      TimeoutNowResponse: MessageTypeDefinition<_tandem_v1_TimeoutNowResponse, _tandem_v1_TimeoutNowResponse__Output>
      TransferLeadershipRequest: MessageTypeDefinition<_tandem_v1_TransferLeadershipRequest, _tandem_v1_TransferLeadershipRequest__Output>
      TransferLeadershipResponse: MessageTypeDefinition<_tandem_v1_TransferLeadershipResponse, _tandem_v1_TransferLeadershipResponse__Output>
      UndrainNodeRequest: MessageTypeDefinition<_tandem_v1_UndrainNodeRequest, _tandem_v1_UndrainNodeRequest__Output>
      UpdateLicenceRequest: MessageTypeDefinition<_tandem_v1_UpdateLicenceRequest, _tandem_v1_UpdateLicenceRequest__Output>
      UsagePeriod: MessageTypeDefinition<_tandem_v1_UsagePeriod, _tandem_v1_UsagePeriod__Output>
      VerifyRequest: MessageTypeDefinition<_tandem_v1_VerifyRequest, _tandem_v1_VerifyRequest__Output>
      VerifyResponse: MessageTypeDefinition<_tandem_v1_VerifyResponse, _tandem_v1_VerifyResponse__Output>
      WitnessHeartbeatRequest: MessageTypeDefinition<_tandem_v1_WitnessHeartbeatRequest, _tandem_v1_WitnessHeartbeatRequest__Output>
      WitnessHeartbeatResponse: MessageTypeDefinition<_tandem_v1_WitnessHeartbeatResponse, _tandem_v1_WitnessHeartbeatResponse__Output>
      WitnessService: SubtypeConstructor<typeof grpc.Client, _tandem_v1_WitnessServiceClient> & { service: _tandem_v1_WitnessServiceDefinition }
      WitnessStateRequest: MessageTypeDefinition<_tandem_v1_WitnessStateRequest, _tandem_v1_WitnessStateRequest__Output>
      WitnessStateResponse: MessageTypeDefinition<_tandem_v1_WitnessStateResponse, _tandem_v1_WitnessStateResponse__Output>
      WorkstationParameters: MessageTypeDefinition<_tandem_v1_WorkstationParameters, _tandem_v1_WorkstationParameters__Output>
      WorkstationService: SubtypeConstructor<typeof grpc.Client, _tandem_v1_WorkstationServiceClient> & { service: _tandem_v1_WorkstationServiceDefinition }
    }
  }
}

