"""The workstation client: lease seats, report usage, read a licence (docs/client-protocol.md).

Every logical operation gets one request id, reused on every retry, so that the ledger applies it
at most once however many servers it reaches.
"""
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable, List, Optional

from .connection import ClusterConnection, Leader, Settings, credentials
from .errors import TandemError
from .lease import HELD, Lease
from .wire import common, workstation

# A limit on leases held at once through one client (each has a renewal thread).
MAX_HELD_LEASES = 1000
MAX_TTL_MS = 86_400_000


@dataclass
class UsageReport:
    licence_id: str
    period_start_ms: int
    used: int
    # None when the licence has no quota.
    remaining: Optional[int]
    term: int


class WorkstationClient:
    """A workstation's client. `workstation_id` must be the name its certificate
    (tandem://workstation/<name>) or token names. The cluster is contacted by the first operation."""

    def __init__(
        self,
        servers: List[str],
        workstation_id: str,
        *,
        ca: Optional[str] = None,
        cert: Optional[str] = None,
        key: Optional[str] = None,
        token: Optional[str] = None,
        insecure: bool = False,
        default_ttl_ms: int = 30_000,
        renewal_grace_ms: int = 30_000,
        settings: Optional[Settings] = None,
        product_version: str = "",
        on_event: Optional[Callable[[str, Lease, object], None]] = None,
    ):
        if not workstation_id:
            raise ValueError("workstation_id is required")
        self.workstation_id = workstation_id
        self.connection = ClusterConnection(
            servers, credentials(ca, cert, key, token, insecure), settings
        )
        self.default_ttl_ms = default_ttl_ms
        self.renewal_grace_ms = renewal_grace_ms
        self._on_event = on_event
        self._parameters = common.WorkstationParameters(
            host=socket.gethostname(),
            user=os.environ.get("USER", ""),
            cores=os.cpu_count() or 0,
            product_version=product_version,
        )
        self._leases: List[Lease] = []
        self._lock = threading.Lock()

    @property
    def term(self) -> int:
        """The highest term seen in any answer."""
        return self.connection.term

    @property
    def leader(self) -> Optional[Leader]:
        return self.connection.leader

    def acquire(self, licence_id: str, ttl_ms: Optional[int] = None) -> Lease:
        """Takes a seat; the returned Lease renews itself every third of its TTL until released."""
        ttl_ms = self.default_ttl_ms if ttl_ms is None else ttl_ms
        if not 1 <= ttl_ms <= MAX_TTL_MS:
            raise ValueError(f"ttl_ms must be between 1 and {MAX_TTL_MS} (got {ttl_ms})")
        with self._lock:
            self._leases = [lease for lease in self._leases if lease.state == HELD]
            if len(self._leases) >= MAX_HELD_LEASES:
                raise TandemError("too_many_leases", f"this client holds {MAX_HELD_LEASES} leases", retryable=False)
        request = workstation.AcquireLeaseRequest(
            request_id=str(uuid.uuid4()),
            licence_id=licence_id,
            workstation_id=self.workstation_id,
            parameters=self._parameters,
            ttl_ms=ttl_ms,
        )
        sent_at = time.monotonic()
        response = self.connection.call("AcquireLease", request)
        if not response.HasField("lease"):
            raise TandemError("protocol", "AcquireLease answered without a lease", retryable=False)
        lease = Lease(self, response.lease, sent_at, self.renewal_grace_ms / 1000, self._on_event)
        with self._lock:
            self._leases.append(lease)
        return lease

    def report_usage(self, licence_id: str, units: int) -> UsageReport:
        """Adds units to the licence's usage; counted exactly once, however often it is retried."""
        request = workstation.ReportUsageRequest(
            request_id=str(uuid.uuid4()), licence_id=licence_id, workstation_id=self.workstation_id, units=units
        )
        response = self.connection.call("ReportUsage", request)
        return UsageReport(
            licence_id=response.licence_id or licence_id,
            period_start_ms=response.period_start_ms,
            used=response.used,
            remaining=response.remaining if response.HasField("remaining") else None,
            term=response.header.term,
        )

    def get_licence(self, licence_id: str):
        """The licence, with its seats in use and usage this period (a tandem.v1.Licence)."""
        response = self.connection.call("GetLicence", common.GetLicenceRequest(licence_id=licence_id))
        return response.licence

    def close(self) -> None:
        """Stops every renewal and closes the channels. Leases are not released: release them first
        to free the seats now, otherwise they free themselves when their TTL ends."""
        with self._lock:
            leases, self._leases = self._leases, []
        for lease in leases:
            lease.abandon()
        self.connection.close()

    # Used by Lease: one operation each, one request id each (reused by that operation's retries).

    def _renew(self, lease_id: str, until: float):
        request = workstation.RenewLeaseRequest(request_id=str(uuid.uuid4()), lease_id=lease_id, ttl_ms=0)
        return self.connection.call("RenewLease", request, until=until)

    def _release(self, lease_id: str):
        request = workstation.ReleaseLeaseRequest(request_id=str(uuid.uuid4()), lease_id=lease_id)
        return self.connection.call("ReleaseLease", request)
