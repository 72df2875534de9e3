// Original file: tandem/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ActivateLicenceRequest as _tandem_v1_ActivateLicenceRequest, ActivateLicenceRequest__Output as _tandem_v1_ActivateLicenceRequest__Output } from '../../tandem/v1/ActivateLicenceRequest.js';
import type { ClusterStatusRequest as _tandem_v1_ClusterStatusRequest, ClusterStatusRequest__Output as _tandem_v1_ClusterStatusRequest__Output } from '../../tandem/v1/ClusterStatusRequest.js';
import type { ClusterStatusResponse as _tandem_v1_ClusterStatusResponse, ClusterStatusResponse__Output as _tandem_v1_ClusterStatusResponse__Output } from '../../tandem/v1/ClusterStatusResponse.js';
import type { DeactivateLicenceRequest as _tandem_v1_DeactivateLicenceRequest, DeactivateLicenceRequest__Output as _tandem_v1_DeactivateLicenceRequest__Output } from '../../tandem/v1/DeactivateLicenceRequest.js';
import type { DrainNodeRequest as _tandem_v1_DrainNodeRequest, DrainNodeRequest__Output as _tandem_v1_DrainNodeRequest__Output } from '../../tandem/v1/DrainNodeRequest.js';
import type { DrainResponse as _tandem_v1_DrainResponse, DrainResponse__Output as _tandem_v1_DrainResponse__Output } from '../../tandem/v1/DrainResponse.js';
import type { GetLicenceRequest as _tandem_v1_GetLicenceRequest, GetLicenceRequest__Output as _tandem_v1_GetLicenceRequest__Output } from '../../tandem/v1/GetLicenceRequest.js';
import type { GetReportRequest as _tandem_v1_GetReportRequest, GetReportRequest__Output as _tandem_v1_GetReportRequest__Output } from '../../tandem/v1/GetReportRequest.js';
import type { GetReportResponse as _tandem_v1_GetReportResponse, GetReportResponse__Output as _tandem_v1_GetReportResponse__Output } from '../../tandem/v1/GetReportResponse.js';
import type { GetUsageRequest as _tandem_v1_GetUsageRequest, GetUsageRequest__Output as _tandem_v1_GetUsageRequest__Output } from '../../tandem/v1/GetUsageRequest.js';
import type { GetUsageResponse as _tandem_v1_GetUsageResponse, GetUsageResponse__Output as _tandem_v1_GetUsageResponse__Output } from '../../tandem/v1/GetUsageResponse.js';
import type { LicenceResponse as _tandem_v1_LicenceResponse, LicenceResponse__Output as _tandem_v1_LicenceResponse__Output } from '../../tandem/v1/LicenceResponse.js';
import type { ListAuditRequest as _tandem_v1_ListAuditRequest, ListAuditRequest__Output as _tandem_v1_ListAuditRequest__Output } from '../../tandem/v1/ListAuditRequest.js';
import type { ListAuditResponse as _tandem_v1_ListAuditResponse, ListAuditResponse__Output as _tandem_v1_ListAuditResponse__Output } from '../../tandem/v1/ListAuditResponse.js';
import type { ListIncidentsRequest as _tandem_v1_ListIncidentsRequest, ListIncidentsRequest__Output as _tandem_v1_ListIncidentsRequest__Output } from '../../tandem/v1/ListIncidentsRequest.js';
import type { ListIncidentsResponse as _tandem_v1_ListIncidentsResponse, ListIncidentsResponse__Output as _tandem_v1_ListIncidentsResponse__Output } from '../../tandem/v1/ListIncidentsResponse.js';
import type { ListLeasesRequest as _tandem_v1_ListLeasesRequest, ListLeasesRequest__Output as _tandem_v1_ListLeasesRequest__Output } from '../../tandem/v1/ListLeasesRequest.js';
import type { ListLeasesResponse as _tandem_v1_ListLeasesResponse, ListLeasesResponse__Output as _tandem_v1_ListLeasesResponse__Output } from '../../tandem/v1/ListLeasesResponse.js';
import type { ListLicencesRequest as _tandem_v1_ListLicencesRequest, ListLicencesRequest__Output as _tandem_v1_ListLicencesRequest__Output } from '../../tandem/v1/ListLicencesRequest.js';
import type { ListLicencesResponse as _tandem_v1_ListLicencesResponse, ListLicencesResponse__Output as _tandem_v1_ListLicencesResponse__Output } from '../../tandem/v1/ListLicencesResponse.js';
import type { RevokeLeaseRequest as _tandem_v1_RevokeLeaseRequest, RevokeLeaseRequest__Output as _tandem_v1_RevokeLeaseRequest__Output } from '../../tandem/v1/RevokeLeaseRequest.js';
import type { RevokeLeaseResponse as _tandem_v1_RevokeLeaseResponse, RevokeLeaseResponse__Output as _tandem_v1_RevokeLeaseResponse__Output } from '../../tandem/v1/RevokeLeaseResponse.js';
import type { SnapshotRequest as _tandem_v1_SnapshotRequest, SnapshotRequest__Output as _tandem_v1_SnapshotRequest__Output } from '../../tandem/v1/SnapshotRequest.js';
import type { SnapshotResponse as _tandem_v1_SnapshotResponse, SnapshotResponse__Output as _tandem_v1_SnapshotResponse__Output } from '../../tandem/v1/SnapshotResponse.js';
import type { TransferLeadershipRequest as _tandem_v1_TransferLeadershipRequest, TransferLeadershipRequest__Output as _tandem_v1_TransferLeadershipRequest__Output } from '../../tandem/v1/TransferLeadershipRequest.js';
import type { TransferLeadershipResponse as _tandem_v1_TransferLeadershipResponse, TransferLeadershipResponse__Output as _tandem_v1_TransferLeadershipResponse__Output } from '../../tandem/v1/TransferLeadershipResponse.js';
import type { UndrainNodeRequest as _tandem_v1_UndrainNodeRequest, UndrainNodeRequest__Output as _tandem_v1_UndrainNodeRequest__Output } from '../../tandem/v1/UndrainNodeRequest.js';
import type { UpdateLicenceRequest as _tandem_v1_UpdateLicenceRequest, UpdateLicenceRequest__Output as _tandem_v1_UpdateLicenceRequest__Output } from '../../tandem/v1/UpdateLicenceRequest.js';
import type { VerifyRequest as _tandem_v1_VerifyRequest, VerifyRequest__Output as _tandem_v1_VerifyRequest__Output } from '../../tandem/v1/VerifyRequest.js';
import type { VerifyResponse as _tandem_v1_VerifyResponse, VerifyResponse__Output as _tandem_v1_VerifyResponse__Output } from '../../tandem/v1/VerifyResponse.js';

export interface AdminServiceClient extends grpc.Client {
  ActivateLicence(argument: _tandem_v1_ActivateLicenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  ActivateLicence(argument: _tandem_v1_ActivateLicenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  ActivateLicence(argument: _tandem_v1_ActivateLicenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  ActivateLicence(argument: _tandem_v1_ActivateLicenceRequest, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  activateLicence(argument: _tandem_v1_ActivateLicenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  activateLicence(argument: _tandem_v1_ActivateLicenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  activateLicence(argument: _tandem_v1_ActivateLicenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  activateLicence(argument: _tandem_v1_ActivateLicenceRequest, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  
  ClusterStatus(argument: _tandem_v1_ClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _tandem_v1_ClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _tandem_v1_ClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _tandem_v1_ClusterStatusRequest, callback: grpc.requestCallback<_tandem_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _tandem_v1_ClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _tandem_v1_ClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _tandem_v1_ClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _tandem_v1_ClusterStatusRequest, callback: grpc.requestCallback<_tandem_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  
  DeactivateLicence(argument: _tandem_v1_DeactivateLicenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  DeactivateLicence(argument: _tandem_v1_DeactivateLicenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  DeactivateLicence(argument: _tandem_v1_DeactivateLicenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  DeactivateLicence(argument: _tandem_v1_DeactivateLicenceRequest, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  deactivateLicence(argument: _tandem_v1_DeactivateLicenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  deactivateLicence(argument: _tandem_v1_DeactivateLicenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  deactivateLicence(argument: _tandem_v1_DeactivateLicenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  deactivateLicence(argument: _tandem_v1_DeactivateLicenceRequest, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  
  DrainNode(argument: _tandem_v1_DrainNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  DrainNode(argument: _tandem_v1_DrainNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  DrainNode(argument: _tandem_v1_DrainNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  DrainNode(argument: _tandem_v1_DrainNodeRequest, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  drainNode(argument: _tandem_v1_DrainNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  drainNode(argument: _tandem_v1_DrainNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  drainNode(argument: _tandem_v1_DrainNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  drainNode(argument: _tandem_v1_DrainNodeRequest, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  
  GetLicence(argument: _tandem_v1_GetLicenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  GetLicence(argument: _tandem_v1_GetLicenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  GetLicence(argument: _tandem_v1_GetLicenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  GetLicence(argument: _tandem_v1_GetLicenceRequest, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  getLicence(argument: _tandem_v1_GetLicenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  getLicence(argument: _tandem_v1_GetLicenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  getLicence(argument: _tandem_v1_GetLicenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  getLicence(argument: _tandem_v1_GetLicenceRequest, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  
  GetReport(argument: _tandem_v1_GetReportRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  GetReport(argument: _tandem_v1_GetReportRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  GetReport(argument: _tandem_v1_GetReportRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  GetReport(argument: _tandem_v1_GetReportRequest, callback: grpc.requestCallback<_tandem_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  getReport(argument: _tandem_v1_GetReportRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  getReport(argument: _tandem_v1_GetReportRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  getReport(argument: _tandem_v1_GetReportRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  getReport(argument: _tandem_v1_GetReportRequest, callback: grpc.requestCallback<_tandem_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  
  GetUsage(argument: _tandem_v1_GetUsageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_GetUsageResponse__Output>): grpc.ClientUnaryCall;
  GetUsage(argument: _tandem_v1_GetUsageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_GetUsageResponse__Output>): grpc.ClientUnaryCall;
  GetUsage(argument: _tandem_v1_GetUsageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_GetUsageResponse__Output>): grpc.ClientUnaryCall;
  GetUsage(argument: _tandem_v1_GetUsageRequest, callback: grpc.requestCallback<_tandem_v1_GetUsageResponse__Output>): grpc.ClientUnaryCall;
  getUsage(argument: _tandem_v1_GetUsageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_GetUsageResponse__Output>): grpc.ClientUnaryCall;
  getUsage(argument: _tandem_v1_GetUsageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_GetUsageResponse__Output>): grpc.ClientUnaryCall;
  getUsage(argument: _tandem_v1_GetUsageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_GetUsageResponse__Output>): grpc.ClientUnaryCall;
  getUsage(argument: _tandem_v1_GetUsageRequest, callback: grpc.requestCallback<_tandem_v1_GetUsageResponse__Output>): grpc.ClientUnaryCall;
  
  ListAudit(argument: _tandem_v1_ListAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  ListAudit(argument: _tandem_v1_ListAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  ListAudit(argument: _tandem_v1_ListAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  ListAudit(argument: _tandem_v1_ListAuditRequest, callback: grpc.requestCallback<_tandem_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _tandem_v1_ListAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _tandem_v1_ListAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _tandem_v1_ListAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _tandem_v1_ListAuditRequest, callback: grpc.requestCallback<_tandem_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  
  ListIncidents(argument: _tandem_v1_ListIncidentsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListIncidentsResponse__Output>): grpc.ClientUnaryCall;
  ListIncidents(argument: _tandem_v1_ListIncidentsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_ListIncidentsResponse__Output>): grpc.ClientUnaryCall;
  ListIncidents(argument: _tandem_v1_ListIncidentsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListIncidentsResponse__Output>): grpc.ClientUnaryCall;
  ListIncidents(argument: _tandem_v1_ListIncidentsRequest, callback: grpc.requestCallback<_tandem_v1_ListIncidentsResponse__Output>): grpc.ClientUnaryCall;
  listIncidents(argument: _tandem_v1_ListIncidentsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListIncidentsResponse__Output>): grpc.ClientUnaryCall;
  listIncidents(argument: _tandem_v1_ListIncidentsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_ListIncidentsResponse__Output>): grpc.ClientUnaryCall;
  listIncidents(argument: _tandem_v1_ListIncidentsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListIncidentsResponse__Output>): grpc.ClientUnaryCall;
  listIncidents(argument: _tandem_v1_ListIncidentsRequest, callback: grpc.requestCallback<_tandem_v1_ListIncidentsResponse__Output>): grpc.ClientUnaryCall;
  
  ListLeases(argument: _tandem_v1_ListLeasesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListLeasesResponse__Output>): grpc.ClientUnaryCall;
  ListLeases(argument: _tandem_v1_ListLeasesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_ListLeasesResponse__Output>): grpc.ClientUnaryCall;
  ListLeases(argument: _tandem_v1_ListLeasesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListLeasesResponse__Output>): grpc.ClientUnaryCall;
  ListLeases(argument: _tandem_v1_ListLeasesRequest, callback: grpc.requestCallback<_tandem_v1_ListLeasesResponse__Output>): grpc.ClientUnaryCall;
  listLeases(argument: _tandem_v1_ListLeasesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListLeasesResponse__Output>): grpc.ClientUnaryCall;
  listLeases(argument: _tandem_v1_ListLeasesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_ListLeasesResponse__Output>): grpc.ClientUnaryCall;
  listLeases(argument: _tandem_v1_ListLeasesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListLeasesResponse__Output>): grpc.ClientUnaryCall;
  listLeases(argument: _tandem_v1_ListLeasesRequest, callback: grpc.requestCallback<_tandem_v1_ListLeasesResponse__Output>): grpc.ClientUnaryCall;
  
  ListLicences(argument: _tandem_v1_ListLicencesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListLicencesResponse__Output>): grpc.ClientUnaryCall;
  ListLicences(argument: _tandem_v1_ListLicencesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_ListLicencesResponse__Output>): grpc.ClientUnaryCall;
  ListLicences(argument: _tandem_v1_ListLicencesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListLicencesResponse__Output>): grpc.ClientUnaryCall;
  ListLicences(argument: _tandem_v1_ListLicencesRequest, callback: grpc.requestCallback<_tandem_v1_ListLicencesResponse__Output>): grpc.ClientUnaryCall;
  listLicences(argument: _tandem_v1_ListLicencesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListLicencesResponse__Output>): grpc.ClientUnaryCall;
  listLicences(argument: _tandem_v1_ListLicencesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_ListLicencesResponse__Output>): grpc.ClientUnaryCall;
  listLicences(argument: _tandem_v1_ListLicencesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ListLicencesResponse__Output>): grpc.ClientUnaryCall;
  listLicences(argument: _tandem_v1_ListLicencesRequest, callback: grpc.requestCallback<_tandem_v1_ListLicencesResponse__Output>): grpc.ClientUnaryCall;
  
  RevokeLease(argument: _tandem_v1_RevokeLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RevokeLeaseResponse__Output>): grpc.ClientUnaryCall;
  RevokeLease(argument: _tandem_v1_RevokeLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_RevokeLeaseResponse__Output>): grpc.ClientUnaryCall;
  RevokeLease(argument: _tandem_v1_RevokeLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RevokeLeaseResponse__Output>): grpc.ClientUnaryCall;
  RevokeLease(argument: _tandem_v1_RevokeLeaseRequest, callback: grpc.requestCallback<_tandem_v1_RevokeLeaseResponse__Output>): grpc.ClientUnaryCall;
  revokeLease(argument: _tandem_v1_RevokeLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RevokeLeaseResponse__Output>): grpc.ClientUnaryCall;
  revokeLease(argument: _tandem_v1_RevokeLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_RevokeLeaseResponse__Output>): grpc.ClientUnaryCall;
  revokeLease(argument: _tandem_v1_RevokeLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_RevokeLeaseResponse__Output>): grpc.ClientUnaryCall;
  revokeLease(argument: _tandem_v1_RevokeLeaseRequest, callback: grpc.requestCallback<_tandem_v1_RevokeLeaseResponse__Output>): grpc.ClientUnaryCall;
  
  Snapshot(argument: _tandem_v1_SnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  Snapshot(argument: _tandem_v1_SnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  Snapshot(argument: _tandem_v1_SnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  Snapshot(argument: _tandem_v1_SnapshotRequest, callback: grpc.requestCallback<_tandem_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _tandem_v1_SnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _tandem_v1_SnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _tandem_v1_SnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _tandem_v1_SnapshotRequest, callback: grpc.requestCallback<_tandem_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  
  TransferLeadership(argument: _tandem_v1_TransferLeadershipRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  TransferLeadership(argument: _tandem_v1_TransferLeadershipRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  TransferLeadership(argument: _tandem_v1_TransferLeadershipRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  TransferLeadership(argument: _tandem_v1_TransferLeadershipRequest, callback: grpc.requestCallback<_tandem_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _tandem_v1_TransferLeadershipRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _tandem_v1_TransferLeadershipRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _tandem_v1_TransferLeadershipRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _tandem_v1_TransferLeadershipRequest, callback: grpc.requestCallback<_tandem_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  
  UndrainNode(argument: _tandem_v1_UndrainNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  UndrainNode(argument: _tandem_v1_UndrainNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  UndrainNode(argument: _tandem_v1_UndrainNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  UndrainNode(argument: _tandem_v1_UndrainNodeRequest, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  undrainNode(argument: _tandem_v1_UndrainNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  undrainNode(argument: _tandem_v1_UndrainNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  undrainNode(argument: _tandem_v1_UndrainNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  undrainNode(argument: _tandem_v1_UndrainNodeRequest, callback: grpc.requestCallback<_tandem_v1_DrainResponse__Output>): grpc.ClientUnaryCall;
  
  UpdateLicence(argument: _tandem_v1_UpdateLicenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  UpdateLicence(argument: _tandem_v1_UpdateLicenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  UpdateLicence(argument: _tandem_v1_UpdateLicenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  UpdateLicence(argument: _tandem_v1_UpdateLicenceRequest, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  updateLicence(argument: _tandem_v1_UpdateLicenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  updateLicence(argument: _tandem_v1_UpdateLicenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  updateLicence(argument: _tandem_v1_UpdateLicenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  updateLicence(argument: _tandem_v1_UpdateLicenceRequest, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  
  Verify(argument: _tandem_v1_VerifyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  Verify(argument: _tandem_v1_VerifyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  Verify(argument: _tandem_v1_VerifyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  Verify(argument: _tandem_v1_VerifyRequest, callback: grpc.requestCallback<_tandem_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  verify(argument: _tandem_v1_VerifyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  verify(argument: _tandem_v1_VerifyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  verify(argument: _tandem_v1_VerifyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  verify(argument: _tandem_v1_VerifyRequest, callback: grpc.requestCallback<_tandem_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AdminServiceHandlers extends grpc.UntypedServiceImplementation {
  ActivateLicence: grpc.handleUnaryCall<_tandem_v1_ActivateLicenceRequest__Output, _tandem_v1_LicenceResponse>;
  
  ClusterStatus: grpc.handleUnaryCall<_tandem_v1_ClusterStatusRequest__Output, _tandem_v1_ClusterStatusResponse>;
  
  DeactivateLicence: grpc.handleUnaryCall<_tandem_v1_DeactivateLicenceRequest__Output, _tandem_v1_LicenceResponse>;
  
  DrainNode: grpc.handleUnaryCall<_tandem_v1_DrainNodeRequest__Output, _tandem_v1_DrainResponse>;
  
  GetLicence: grpc.handleUnaryCall<_tandem_v1_GetLicenceRequest__Output, _tandem_v1_LicenceResponse>;
  
  GetReport: grpc.handleUnaryCall<_tandem_v1_GetReportRequest__Output, _tandem_v1_GetReportResponse>;
  
  GetUsage: grpc.handleUnaryCall<_tandem_v1_GetUsageRequest__Output, _tandem_v1_GetUsageResponse>;
  
  ListAudit: grpc.handleUnaryCall<_tandem_v1_ListAuditRequest__Output, _tandem_v1_ListAuditResponse>;
  
  ListIncidents: grpc.handleUnaryCall<_tandem_v1_ListIncidentsRequest__Output, _tandem_v1_ListIncidentsResponse>;
  
  ListLeases: grpc.handleUnaryCall<_tandem_v1_ListLeasesRequest__Output, _tandem_v1_ListLeasesResponse>;
  
  ListLicences: grpc.handleUnaryCall<_tandem_v1_ListLicencesRequest__Output, _tandem_v1_ListLicencesResponse>;
  
  RevokeLease: grpc.handleUnaryCall<_tandem_v1_RevokeLeaseRequest__Output, _tandem_v1_RevokeLeaseResponse>;
  
  Snapshot: grpc.handleUnaryCall<_tandem_v1_SnapshotRequest__Output, _tandem_v1_SnapshotResponse>;
  
  TransferLeadership: grpc.handleUnaryCall<_tandem_v1_TransferLeadershipRequest__Output, _tandem_v1_TransferLeadershipResponse>;
  
  UndrainNode: grpc.handleUnaryCall<_tandem_v1_UndrainNodeRequest__Output, _tandem_v1_DrainResponse>;
  
  UpdateLicence: grpc.handleUnaryCall<_tandem_v1_UpdateLicenceRequest__Output, _tandem_v1_LicenceResponse>;
  
  Verify: grpc.handleUnaryCall<_tandem_v1_VerifyRequest__Output, _tandem_v1_VerifyResponse>;
  
}

export interface AdminServiceDefinition extends grpc.ServiceDefinition {
  ActivateLicence: MethodDefinition<_tandem_v1_ActivateLicenceRequest, _tandem_v1_LicenceResponse, _tandem_v1_ActivateLicenceRequest__Output, _tandem_v1_LicenceResponse__Output>
  ClusterStatus: MethodDefinition<_tandem_v1_ClusterStatusRequest, _tandem_v1_ClusterStatusResponse, _tandem_v1_ClusterStatusRequest__Output, _tandem_v1_ClusterStatusResponse__Output>
  DeactivateLicence: MethodDefinition<_tandem_v1_DeactivateLicenceRequest, _tandem_v1_LicenceResponse, _tandem_v1_DeactivateLicenceRequest__Output, _tandem_v1_LicenceResponse__Output>
  DrainNode: MethodDefinition<_tandem_v1_DrainNodeRequest, _tandem_v1_DrainResponse, _tandem_v1_DrainNodeRequest__Output, _tandem_v1_DrainResponse__Output>
  GetLicence: MethodDefinition<_tandem_v1_GetLicenceRequest, _tandem_v1_LicenceResponse, _tandem_v1_GetLicenceRequest__Output, _tandem_v1_LicenceResponse__Output>
  GetReport: MethodDefinition<_tandem_v1_GetReportRequest, _tandem_v1_GetReportResponse, _tandem_v1_GetReportRequest__Output, _tandem_v1_GetReportResponse__Output>
  GetUsage: MethodDefinition<_tandem_v1_GetUsageRequest, _tandem_v1_GetUsageResponse, _tandem_v1_GetUsageRequest__Output, _tandem_v1_GetUsageResponse__Output>
  ListAudit: MethodDefinition<_tandem_v1_ListAuditRequest, _tandem_v1_ListAuditResponse, _tandem_v1_ListAuditRequest__Output, _tandem_v1_ListAuditResponse__Output>
  ListIncidents: MethodDefinition<_tandem_v1_ListIncidentsRequest, _tandem_v1_ListIncidentsResponse, _tandem_v1_ListIncidentsRequest__Output, _tandem_v1_ListIncidentsResponse__Output>
  ListLeases: MethodDefinition<_tandem_v1_ListLeasesRequest, _tandem_v1_ListLeasesResponse, _tandem_v1_ListLeasesRequest__Output, _tandem_v1_ListLeasesResponse__Output>
  ListLicences: MethodDefinition<_tandem_v1_ListLicencesRequest, _tandem_v1_ListLicencesResponse, _tandem_v1_ListLicencesRequest__Output, _tandem_v1_ListLicencesResponse__Output>
  RevokeLease: MethodDefinition<_tandem_v1_RevokeLeaseRequest, _tandem_v1_RevokeLeaseResponse, _tandem_v1_RevokeLeaseRequest__Output, _tandem_v1_RevokeLeaseResponse__Output>
  Snapshot: MethodDefinition<_tandem_v1_SnapshotRequest, _tandem_v1_SnapshotResponse, _tandem_v1_SnapshotRequest__Output, _tandem_v1_SnapshotResponse__Output>
  TransferLeadership: MethodDefinition<_tandem_v1_TransferLeadershipRequest, _tandem_v1_TransferLeadershipResponse, _tandem_v1_TransferLeadershipRequest__Output, _tandem_v1_TransferLeadershipResponse__Output>
  UndrainNode: MethodDefinition<_tandem_v1_UndrainNodeRequest, _tandem_v1_DrainResponse, _tandem_v1_UndrainNodeRequest__Output, _tandem_v1_DrainResponse__Output>
  UpdateLicence: MethodDefinition<_tandem_v1_UpdateLicenceRequest, _tandem_v1_LicenceResponse, _tandem_v1_UpdateLicenceRequest__Output, _tandem_v1_LicenceResponse__Output>
  Verify: MethodDefinition<_tandem_v1_VerifyRequest, _tandem_v1_VerifyResponse, _tandem_v1_VerifyRequest__Output, _tandem_v1_VerifyResponse__Output>
}
