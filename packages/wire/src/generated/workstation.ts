import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AcquireLeaseRequest as _tandem_v1_AcquireLeaseRequest, AcquireLeaseRequest__Output as _tandem_v1_AcquireLeaseRequest__Output } from './tandem/v1/AcquireLeaseRequest.js';
import type { GetLicenceRequest as _tandem_v1_GetLicenceRequest, GetLicenceRequest__Output as _tandem_v1_GetLicenceRequest__Output } from './tandem/v1/GetLicenceRequest.js';
import type { Lease as _tandem_v1_Lease, Lease__Output as _tandem_v1_Lease__Output } from './tandem/v1/Lease.js';
import type { LeaseResponse as _tandem_v1_LeaseResponse, LeaseResponse__Output as _tandem_v1_LeaseResponse__Output } from './tandem/v1/LeaseResponse.js';
import type { Licence as _tandem_v1_Licence, Licence__Output as _tandem_v1_Licence__Output } from './tandem/v1/Licence.js';
import type { LicenceGrant as _tandem_v1_LicenceGrant, LicenceGrant__Output as _tandem_v1_LicenceGrant__Output } from './tandem/v1/LicenceGrant.js';
import type { LicenceResponse as _tandem_v1_LicenceResponse, LicenceResponse__Output as _tandem_v1_LicenceResponse__Output } from './tandem/v1/LicenceResponse.js';
import type { LicenceSpec as _tandem_v1_LicenceSpec, LicenceSpec__Output as _tandem_v1_LicenceSpec__Output } from './tandem/v1/LicenceSpec.js';
import type { Quota as _tandem_v1_Quota, Quota__Output as _tandem_v1_Quota__Output } from './tandem/v1/Quota.js';
import type { ReleaseLeaseRequest as _tandem_v1_ReleaseLeaseRequest, ReleaseLeaseRequest__Output as _tandem_v1_ReleaseLeaseRequest__Output } from './tandem/v1/ReleaseLeaseRequest.js';
import type { ReleaseLeaseResponse as _tandem_v1_ReleaseLeaseResponse, ReleaseLeaseResponse__Output as _tandem_v1_ReleaseLeaseResponse__Output } from './tandem/v1/ReleaseLeaseResponse.js';
import type { RenewLeaseRequest as _tandem_v1_RenewLeaseRequest, RenewLeaseRequest__Output as _tandem_v1_RenewLeaseRequest__Output } from './tandem/v1/RenewLeaseRequest.js';
import type { ReportUsageRequest as _tandem_v1_ReportUsageRequest, ReportUsageRequest__Output as _tandem_v1_ReportUsageRequest__Output } from './tandem/v1/ReportUsageRequest.js';
import type { ReportUsageResponse as _tandem_v1_ReportUsageResponse, ReportUsageResponse__Output as _tandem_v1_ReportUsageResponse__Output } from './tandem/v1/ReportUsageResponse.js';
import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from './tandem/v1/ResponseHeader.js';
import type { WorkstationParameters as _tandem_v1_WorkstationParameters, WorkstationParameters__Output as _tandem_v1_WorkstationParameters__Output } from './tandem/v1/WorkstationParameters.js';
import type { WorkstationServiceClient as _tandem_v1_WorkstationServiceClient, WorkstationServiceDefinition as _tandem_v1_WorkstationServiceDefinition } from './tandem/v1/WorkstationService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  tandem: {
    v1: {
      AcquireLeaseRequest: MessageTypeDefinition<_tandem_v1_AcquireLeaseRequest, _tandem_v1_AcquireLeaseRequest__Output>
      GetLicenceRequest: MessageTypeDefinition<_tandem_v1_GetLicenceRequest, _tandem_v1_GetLicenceRequest__Output>
      Lease: MessageTypeDefinition<_tandem_v1_Lease, _tandem_v1_Lease__Output>
      LeaseResponse: MessageTypeDefinition<_tandem_v1_LeaseResponse, _tandem_v1_LeaseResponse__Output>
      Licence: MessageTypeDefinition<_tandem_v1_Licence, _tandem_v1_Licence__Output>
      LicenceGrant: MessageTypeDefinition<_tandem_v1_LicenceGrant, _tandem_v1_LicenceGrant__Output>
      LicenceResponse: MessageTypeDefinition<_tandem_v1_LicenceResponse, _tandem_v1_LicenceResponse__Output>
      LicenceSpec: MessageTypeDefinition<_tandem_v1_LicenceSpec, _tandem_v1_LicenceSpec__Output>
      LicenceStatus: EnumTypeDefinition
      NodeState: EnumTypeDefinition
      Period: EnumTypeDefinition
      Quota: MessageTypeDefinition<_tandem_v1_Quota, _tandem_v1_Quota__Output>
      ReleaseLeaseRequest: MessageTypeDefinition<_tandem_v1_ReleaseLeaseRequest, _tandem_v1_ReleaseLeaseRequest__Output>
      ReleaseLeaseResponse: MessageTypeDefinition<_tandem_v1_ReleaseLeaseResponse, _tandem_v1_ReleaseLeaseResponse__Output>
      RenewLeaseRequest: MessageTypeDefinition<_tandem_v1_RenewLeaseRequest, _tandem_v1_RenewLeaseRequest__Output>
      ReportUsageRequest: MessageTypeDefinition<_tandem_v1_ReportUsageRequest, _tandem_v1_ReportUsageRequest__Output>
      ReportUsageResponse: MessageTypeDefinition<_tandem_v1_ReportUsageResponse, _tandem_v1_ReportUsageResponse__Output>
      ResponseHeader: MessageTypeDefinition<_tandem_v1_ResponseHeader, _tandem_v1_ResponseHeader__Output>
      Role: EnumTypeDefinition
      WorkstationParameters: MessageTypeDefinition<_tandem_v1_WorkstationParameters, _tandem_v1_WorkstationParameters__Output>
      WorkstationService: SubtypeConstructor<typeof grpc.Client, _tandem_v1_WorkstationServiceClient> & { service: _tandem_v1_WorkstationServiceDefinition }
    }
  }
}

