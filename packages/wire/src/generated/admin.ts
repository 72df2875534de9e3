import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ActivateLicenceRequest as _tandem_v1_ActivateLicenceRequest, ActivateLicenceRequest__Output as _tandem_v1_ActivateLicenceRequest__Output } from './tandem/v1/ActivateLicenceRequest.js';
import type { Actor as _tandem_v1_Actor, Actor__Output as _tandem_v1_Actor__Output } from './tandem/v1/Actor.js';
import type { AdminServiceClient as _tandem_v1_AdminServiceClient, AdminServiceDefinition as _tandem_v1_AdminServiceDefinition } from './tandem/v1/AdminService.js';
import type { AuditOrigin as _tandem_v1_AuditOrigin, AuditOrigin__Output as _tandem_v1_AuditOrigin__Output } from './tandem/v1/AuditOrigin.js';
import type { AuditRecord as _tandem_v1_AuditRecord, AuditRecord__Output as _tandem_v1_AuditRecord__Output } from './tandem/v1/AuditRecord.js';
import type { ClusterStatusRequest as _tandem_v1_ClusterStatusRequest, ClusterStatusRequest__Output as _tandem_v1_ClusterStatusRequest__Output } from './tandem/v1/ClusterStatusRequest.js';
import type { ClusterStatusResponse as _tandem_v1_ClusterStatusResponse, ClusterStatusResponse__Output as _tandem_v1_ClusterStatusResponse__Output } from './tandem/v1/ClusterStatusResponse.js';
import type { DeactivateLicenceRequest as _tandem_v1_DeactivateLicenceRequest, DeactivateLicenceRequest__Output as _tandem_v1_DeactivateLicenceRequest__Output } from './tandem/v1/DeactivateLicenceRequest.js';
import type { DrainNodeRequest as _tandem_v1_DrainNodeRequest, DrainNodeRequest__Output as _tandem_v1_DrainNodeRequest__Output } from './tandem/v1/DrainNodeRequest.js';
import type { DrainResponse as _tandem_v1_DrainResponse, DrainResponse__Output as _tandem_v1_DrainResponse__Output } from './tandem/v1/DrainResponse.js';
import type { GetLicenceRequest as _tandem_v1_GetLicenceRequest, GetLicenceRequest__Output as _tandem_v1_GetLicenceRequest__Output } from './tandem/v1/GetLicenceRequest.js';
import type { GetReportRequest as _tandem_v1_GetReportRequest, GetReportRequest__Output as _tandem_v1_GetReportRequest__Output } from './tandem/v1/GetReportRequest.js';
import type { GetReportResponse as _tandem_v1_GetReportResponse, GetReportResponse__Output as _tandem_v1_GetReportResponse__Output } from './tandem/v1/GetReportResponse.js';
import type { GetUsageRequest as _tandem_v1_GetUsageRequest, GetUsageRequest__Output as _tandem_v1_GetUsageRequest__Output } from './tandem/v1/GetUsageRequest.js';
import type { GetUsageResponse as _tandem_v1_GetUsageResponse, GetUsageResponse__Output as _tandem_v1_GetUsageResponse__Output } from './tandem/v1/GetUsageResponse.js';
import type { Incident as _tandem_v1_Incident, Incident__Output as _tandem_v1_Incident__Output } from './tandem/v1/Incident.js';
import type { Lease as _tandem_v1_Lease, Lease__Output as _tandem_v1_Lease__Output } from './tandem/v1/Lease.js';
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
import type { NodeStatus as _tandem_v1_NodeStatus, NodeStatus__Output as _tandem_v1_NodeStatus__Output } from './tandem/v1/NodeStatus.js';
import type { Quota as _tandem_v1_Quota, Quota__Output as _tandem_v1_Quota__Output } from './tandem/v1/Quota.js';
import type { ReportGap as _tandem_v1_ReportGap, ReportGap__Output as _tandem_v1_ReportGap__Output } from './tandem/v1/ReportGap.js';
import type { ReportLicenceRow as _tandem_v1_ReportLicenceRow, ReportLicenceRow__Output as _tandem_v1_ReportLicenceRow__Output } from './tandem/v1/ReportLicenceRow.js';
import type { ReportRow as _tandem_v1_ReportRow, ReportRow__Output as _tandem_v1_ReportRow__Output } from './tandem/v1/ReportRow.js';
import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from './tandem/v1/ResponseHeader.js';
import type { RevokeLeaseRequest as _tandem_v1_RevokeLeaseRequest, RevokeLeaseRequest__Output as _tandem_v1_RevokeLeaseRequest__Output } from './tandem/v1/RevokeLeaseRequest.js';
import type { RevokeLeaseResponse as _tandem_v1_RevokeLeaseResponse, RevokeLeaseResponse__Output as _tandem_v1_RevokeLeaseResponse__Output } from './tandem/v1/RevokeLeaseResponse.js';
import type { SnapshotRequest as _tandem_v1_SnapshotRequest, SnapshotRequest__Output as _tandem_v1_SnapshotRequest__Output } from './tandem/v1/SnapshotRequest.js';
import type { SnapshotResponse as _tandem_v1_SnapshotResponse, SnapshotResponse__Output as _tandem_v1_SnapshotResponse__Output } from './tandem/v1/SnapshotResponse.js';
import type { TransferLeadershipRequest as _tandem_v1_TransferLeadershipRequest, TransferLeadershipRequest__Output as _tandem_v1_TransferLeadershipRequest__Output } from './tandem/v1/TransferLeadershipRequest.js';
import type { TransferLeadershipResponse as _tandem_v1_TransferLeadershipResponse, TransferLeadershipResponse__Output as _tandem_v1_TransferLeadershipResponse__Output } from './tandem/v1/TransferLeadershipResponse.js';
import type { UndrainNodeRequest as _tandem_v1_UndrainNodeRequest, UndrainNodeRequest__Output as _tandem_v1_UndrainNodeRequest__Output } from './tandem/v1/UndrainNodeRequest.js';
import type { UpdateLicenceRequest as _tandem_v1_UpdateLicenceRequest, UpdateLicenceRequest__Output as _tandem_v1_UpdateLicenceRequest__Output } from './tandem/v1/UpdateLicenceRequest.js';
import type { UsagePeriod as _tandem_v1_UsagePeriod, UsagePeriod__Output as _tandem_v1_UsagePeriod__Output } from './tandem/v1/UsagePeriod.js';
import type { VerifyRequest as _tandem_v1_VerifyRequest, VerifyRequest__Output as _tandem_v1_VerifyRequest__Output } from './tandem/v1/VerifyRequest.js';
import type { VerifyResponse as _tandem_v1_VerifyResponse, VerifyResponse__Output as _tandem_v1_VerifyResponse__Output } from './tandem/v1/VerifyResponse.js';
import type { WorkstationParameters as _tandem_v1_WorkstationParameters, WorkstationParameters__Output as _tandem_v1_WorkstationParameters__Output } from './tandem/v1/WorkstationParameters.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  tandem: {
    v1: {
      ActivateLicenceRequest: MessageTypeDefinition<_tandem_v1_ActivateLicenceRequest, _tandem_v1_ActivateLicenceRequest__Output>
      Actor: MessageTypeDefinition<_tandem_v1_Actor, _tandem_v1_Actor__Output>
      AdminService: SubtypeConstructor<typeof grpc.Client, _tandem_v1_AdminServiceClient> & { service: _tandem_v1_AdminServiceDefinition }
      AuditOrigin: MessageTypeDefinition<_tandem_v1_AuditOrigin, _tandem_v1_AuditOrigin__Output>
      AuditRecord: MessageTypeDefinition<_tandem_v1_AuditRecord, _tandem_v1_AuditRecord__Output>
      ClusterStatusRequest: MessageTypeDefinition<_tandem_v1_ClusterStatusRequest, _tandem_v1_ClusterStatusRequest__Output>
      ClusterStatusResponse: MessageTypeDefinition<_tandem_v1_ClusterStatusResponse, _tandem_v1_ClusterStatusResponse__Output>
      DeactivateLicenceRequest: MessageTypeDefinition<_tandem_v1_DeactivateLicenceRequest, _tandem_v1_DeactivateLicenceRequest__Output>
      DrainNodeRequest: MessageTypeDefinition<_tandem_v1_DrainNodeRequest, _tandem_v1_DrainNodeRequest__Output>
      DrainResponse: MessageTypeDefinition<_tandem_v1_DrainResponse, _tandem_v1_DrainResponse__Output>
      GetLicenceRequest: MessageTypeDefinition<_tandem_v1_GetLicenceRequest, _tandem_v1_GetLicenceRequest__Output>
      GetReportRequest: MessageTypeDefinition<_tandem_v1_GetReportRequest, _tandem_v1_GetReportRequest__Output>
      GetReportResponse: MessageTypeDefinition<_tandem_v1_GetReportResponse, _tandem_v1_GetReportResponse__Output>
      GetUsageRequest: MessageTypeDefinition<_tandem_v1_GetUsageRequest, _tandem_v1_GetUsageRequest__Output>
      GetUsageResponse: MessageTypeDefinition<_tandem_v1_GetUsageResponse, _tandem_v1_GetUsageResponse__Output>
      Incident: MessageTypeDefinition<_tandem_v1_Incident, _tandem_v1_Incident__Output>
      IncidentKind: EnumTypeDefinition
      Lease: MessageTypeDefinition<_tandem_v1_Lease, _tandem_v1_Lease__Output>
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
      NodeState: EnumTypeDefinition
      NodeStatus: MessageTypeDefinition<_tandem_v1_NodeStatus, _tandem_v1_NodeStatus__Output>
      Period: EnumTypeDefinition
      Quota: MessageTypeDefinition<_tandem_v1_Quota, _tandem_v1_Quota__Output>
      ReportGap: MessageTypeDefinition<_tandem_v1_ReportGap, _tandem_v1_ReportGap__Output>
      ReportLicenceRow: MessageTypeDefinition<_tandem_v1_ReportLicenceRow, _tandem_v1_ReportLicenceRow__Output>
      ReportRow: MessageTypeDefinition<_tandem_v1_ReportRow, _tandem_v1_ReportRow__Output>
      ResponseHeader: MessageTypeDefinition<_tandem_v1_ResponseHeader, _tandem_v1_ResponseHeader__Output>
      RevokeLeaseRequest: MessageTypeDefinition<_tandem_v1_RevokeLeaseRequest, _tandem_v1_RevokeLeaseRequest__Output>
      RevokeLeaseResponse: MessageTypeDefinition<_tandem_v1_RevokeLeaseResponse, _tandem_v1_RevokeLeaseResponse__Output>
      Role: EnumTypeDefinition
      SnapshotRequest: MessageTypeDefinition<_tandem_v1_SnapshotRequest, _tandem_v1_SnapshotRequest__Output>
      SnapshotResponse: MessageTypeDefinition<_tandem_v1_SnapshotResponse, _tandem_v1_SnapshotResponse__Output>
      TransferLeadershipRequest: MessageTypeDefinition<_tandem_v1_TransferLeadershipRequest, _tandem_v1_TransferLeadershipRequest__Output>
      TransferLeadershipResponse: MessageTypeDefinition<_tandem_v1_TransferLeadershipResponse, _tandem_v1_TransferLeadershipResponse__Output>
      UndrainNodeRequest: MessageTypeDefinition<_tandem_v1_UndrainNodeRequest, _tandem_v1_UndrainNodeRequest__Output>
      UpdateLicenceRequest: MessageTypeDefinition<_tandem_v1_UpdateLicenceRequest, _tandem_v1_UpdateLicenceRequest__Output>
      UsagePeriod: MessageTypeDefinition<_tandem_v1_UsagePeriod, _tandem_v1_UsagePeriod__Output>
      VerifyRequest: MessageTypeDefinition<_tandem_v1_VerifyRequest, _tandem_v1_VerifyRequest__Output>
      VerifyResponse: MessageTypeDefinition<_tandem_v1_VerifyResponse, _tandem_v1_VerifyResponse__Output>
      WorkstationParameters: MessageTypeDefinition<_tandem_v1_WorkstationParameters, _tandem_v1_WorkstationParameters__Output>
    }
  }
}

