// Original file: tandem/v1/workstation.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AcquireLeaseRequest as _tandem_v1_AcquireLeaseRequest, AcquireLeaseRequest__Output as _tandem_v1_AcquireLeaseRequest__Output } from '../../tandem/v1/AcquireLeaseRequest.js';
import type { GetLicenceRequest as _tandem_v1_GetLicenceRequest, GetLicenceRequest__Output as _tandem_v1_GetLicenceRequest__Output } from '../../tandem/v1/GetLicenceRequest.js';
import type { LeaseResponse as _tandem_v1_LeaseResponse, LeaseResponse__Output as _tandem_v1_LeaseResponse__Output } from '../../tandem/v1/LeaseResponse.js';
import type { LicenceResponse as _tandem_v1_LicenceResponse, LicenceResponse__Output as _tandem_v1_LicenceResponse__Output } from '../../tandem/v1/LicenceResponse.js';
import type { ReleaseLeaseRequest as _tandem_v1_ReleaseLeaseRequest, ReleaseLeaseRequest__Output as _tandem_v1_ReleaseLeaseRequest__Output } from '../../tandem/v1/ReleaseLeaseRequest.js';
import type { ReleaseLeaseResponse as _tandem_v1_ReleaseLeaseResponse, ReleaseLeaseResponse__Output as _tandem_v1_ReleaseLeaseResponse__Output } from '../../tandem/v1/ReleaseLeaseResponse.js';
import type { RenewLeaseRequest as _tandem_v1_RenewLeaseRequest, RenewLeaseRequest__Output as _tandem_v1_RenewLeaseRequest__Output } from '../../tandem/v1/RenewLeaseRequest.js';
import type { ReportUsageRequest as _tandem_v1_ReportUsageRequest, ReportUsageRequest__Output as _tandem_v1_ReportUsageRequest__Output } from '../../tandem/v1/ReportUsageRequest.js';
import type { ReportUsageResponse as _tandem_v1_ReportUsageResponse, ReportUsageResponse__Output as _tandem_v1_ReportUsageResponse__Output } from '../../tandem/v1/ReportUsageResponse.js';

export interface WorkstationServiceClient extends grpc.Client {
  AcquireLease(argument: _tandem_v1_AcquireLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  AcquireLease(argument: _tandem_v1_AcquireLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  AcquireLease(argument: _tandem_v1_AcquireLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  AcquireLease(argument: _tandem_v1_AcquireLeaseRequest, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  acquireLease(argument: _tandem_v1_AcquireLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  acquireLease(argument: _tandem_v1_AcquireLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  acquireLease(argument: _tandem_v1_AcquireLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  acquireLease(argument: _tandem_v1_AcquireLeaseRequest, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  
  GetLicence(argument: _tandem_v1_GetLicenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  GetLicence(argument: _tandem_v1_GetLicenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  GetLicence(argument: _tandem_v1_GetLicenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  GetLicence(argument: _tandem_v1_GetLicenceRequest, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  getLicence(argument: _tandem_v1_GetLicenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  getLicence(argument: _tandem_v1_GetLicenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  getLicence(argument: _tandem_v1_GetLicenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  getLicence(argument: _tandem_v1_GetLicenceRequest, callback: grpc.requestCallback<_tandem_v1_LicenceResponse__Output>): grpc.ClientUnaryCall;
  
  ReleaseLease(argument: _tandem_v1_ReleaseLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ReleaseLeaseResponse__Output>): grpc.ClientUnaryCall;
  ReleaseLease(argument: _tandem_v1_ReleaseLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_ReleaseLeaseResponse__Output>): grpc.ClientUnaryCall;
  ReleaseLease(argument: _tandem_v1_ReleaseLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ReleaseLeaseResponse__Output>): grpc.ClientUnaryCall;
  ReleaseLease(argument: _tandem_v1_ReleaseLeaseRequest, callback: grpc.requestCallback<_tandem_v1_ReleaseLeaseResponse__Output>): grpc.ClientUnaryCall;
  releaseLease(argument: _tandem_v1_ReleaseLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ReleaseLeaseResponse__Output>): grpc.ClientUnaryCall;
  releaseLease(argument: _tandem_v1_ReleaseLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_ReleaseLeaseResponse__Output>): grpc.ClientUnaryCall;
  releaseLease(argument: _tandem_v1_ReleaseLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ReleaseLeaseResponse__Output>): grpc.ClientUnaryCall;
  releaseLease(argument: _tandem_v1_ReleaseLeaseRequest, callback: grpc.requestCallback<_tandem_v1_ReleaseLeaseResponse__Output>): grpc.ClientUnaryCall;
  
  RenewLease(argument: _tandem_v1_RenewLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  RenewLease(argument: _tandem_v1_RenewLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  RenewLease(argument: _tandem_v1_RenewLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  RenewLease(argument: _tandem_v1_RenewLeaseRequest, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  renewLease(argument: _tandem_v1_RenewLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  renewLease(argument: _tandem_v1_RenewLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  renewLease(argument: _tandem_v1_RenewLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  renewLease(argument: _tandem_v1_RenewLeaseRequest, callback: grpc.requestCallback<_tandem_v1_LeaseResponse__Output>): grpc.ClientUnaryCall;
  
  ReportUsage(argument: _tandem_v1_ReportUsageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ReportUsageResponse__Output>): grpc.ClientUnaryCall;
  ReportUsage(argument: _tandem_v1_ReportUsageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_ReportUsageResponse__Output>): grpc.ClientUnaryCall;
  ReportUsage(argument: _tandem_v1_ReportUsageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ReportUsageResponse__Output>): grpc.ClientUnaryCall;
  ReportUsage(argument: _tandem_v1_ReportUsageRequest, callback: grpc.requestCallback<_tandem_v1_ReportUsageResponse__Output>): grpc.ClientUnaryCall;
  reportUsage(argument: _tandem_v1_ReportUsageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ReportUsageResponse__Output>): grpc.ClientUnaryCall;
  reportUsage(argument: _tandem_v1_ReportUsageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tandem_v1_ReportUsageResponse__Output>): grpc.ClientUnaryCall;
  reportUsage(argument: _tandem_v1_ReportUsageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tandem_v1_ReportUsageResponse__Output>): grpc.ClientUnaryCall;
  reportUsage(argument: _tandem_v1_ReportUsageRequest, callback: grpc.requestCallback<_tandem_v1_ReportUsageResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface WorkstationServiceHandlers extends grpc.UntypedServiceImplementation {
  AcquireLease: grpc.handleUnaryCall<_tandem_v1_AcquireLeaseRequest__Output, _tandem_v1_LeaseResponse>;
  
  GetLicence: grpc.handleUnaryCall<_tandem_v1_GetLicenceRequest__Output, _tandem_v1_LicenceResponse>;
  
  ReleaseLease: grpc.handleUnaryCall<_tandem_v1_ReleaseLeaseRequest__Output, _tandem_v1_ReleaseLeaseResponse>;
  
  RenewLease: grpc.handleUnaryCall<_tandem_v1_RenewLeaseRequest__Output, _tandem_v1_LeaseResponse>;
  
  ReportUsage: grpc.handleUnaryCall<_tandem_v1_ReportUsageRequest__Output, _tandem_v1_ReportUsageResponse>;
  
}

export interface WorkstationServiceDefinition extends grpc.ServiceDefinition {
  AcquireLease: MethodDefinition<_tandem_v1_AcquireLeaseRequest, _tandem_v1_LeaseResponse, _tandem_v1_AcquireLeaseRequest__Output, _tandem_v1_LeaseResponse__Output>
  GetLicence: MethodDefinition<_tandem_v1_GetLicenceRequest, _tandem_v1_LicenceResponse, _tandem_v1_GetLicenceRequest__Output, _tandem_v1_LicenceResponse__Output>
  ReleaseLease: MethodDefinition<_tandem_v1_ReleaseLeaseRequest, _tandem_v1_ReleaseLeaseResponse, _tandem_v1_ReleaseLeaseRequest__Output, _tandem_v1_ReleaseLeaseResponse__Output>
  RenewLease: MethodDefinition<_tandem_v1_RenewLeaseRequest, _tandem_v1_LeaseResponse, _tandem_v1_RenewLeaseRequest__Output, _tandem_v1_LeaseResponse__Output>
  ReportUsage: MethodDefinition<_tandem_v1_ReportUsageRequest, _tandem_v1_ReportUsageResponse, _tandem_v1_ReportUsageRequest__Output, _tandem_v1_ReportUsageResponse__Output>
}
