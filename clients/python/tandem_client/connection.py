"""The client's view of the cluster: one channel per server, and the routing of every operation to
the leader, with fencing by term (docs/client-protocol.md, sections 2, 3 and 6).

Thread-safe: the lease renewal threads and the application share one connection.
"""
import random
import threading
import time
from dataclasses import dataclass
from typing import Dict, List, Optional

import grpc

from .errors import Failure, LeaderHint, TandemError, describe_failure
from .wire import common, services

MAX_SERVERS = 16
MAX_RETRY_BACKOFF_MS = 200
# A rate-limited call waits as the server says, but at most this long per wait and in all.
MAX_RATE_LIMIT_WAIT_MS = 5000
MAX_RATE_LIMITED_TOTAL_MS = 30_000

# Reconnect quickly, and replace a connection that stalls (a keepalive ping unanswered for 2 s), as
# the protocol asks. The C core does not ping an idle connection more than twice unless told.
CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
    ("grpc.keepalive_time_ms", 1000),
    ("grpc.keepalive_timeout_ms", 2000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.use_local_subchannel_pool", 1),
]


@dataclass
class Leader:
    leader_id: str
    address: str
    term: int


@dataclass
class Settings:
    """How patiently to use the cluster; the defaults are the protocol's."""

    request_timeout_ms: int = 3000
    max_attempts: int = 40
    retry_backoff_ms: int = 50
    main_retry_interval_ms: int = 5000


def credentials(
    ca: Optional[str], cert: Optional[str], key: Optional[str], token: Optional[str], insecure: bool
) -> Optional[grpc.ChannelCredentials]:
    """TLS with the cluster CA, and a workstation certificate or a bearer token; None for plaintext."""
    if insecure:
        if ca or cert or key or token:
            raise ValueError("insecure: give no CA, certificate or token (a token is never sent in plaintext)")
        return None
    if not ca:
        raise ValueError("ca is required: the cluster CA certificate (PEM)")
    if (cert is None) != (key is None):
        raise ValueError("cert and key go together")

    def read(path: Optional[str]) -> Optional[bytes]:
        if path is None:
            return None
        with open(path, "rb") as file:
            return file.read()

    tls = grpc.ssl_channel_credentials(
        root_certificates=read(ca), private_key=read(key), certificate_chain=read(cert)
    )
    if token is None:
        return tls
    return grpc.composite_channel_credentials(tls, grpc.access_token_call_credentials(token))


class ClusterConnection:
    def __init__(
        self,
        servers: List[str],
        channel_credentials: Optional[grpc.ChannelCredentials],
        settings: Optional[Settings] = None,
    ):
        if not servers or len(servers) > MAX_SERVERS:
            raise ValueError(f"servers: give 1 to {MAX_SERVERS} host:port addresses, main first")
        self.settings = settings or Settings()
        self._servers = list(servers)
        self._credentials = channel_credentials
        self._lock = threading.Lock()
        self._channels: Dict[str, grpc.Channel] = {}
        self._stubs: Dict[str, "services.WorkstationServiceStub"] = {}
        self._highest_term = 0
        self._leader: Optional[Leader] = None
        self._avoid_main_until = 0.0
        self._closed = False

    @property
    def term(self) -> int:
        with self._lock:
            return self._highest_term

    @property
    def leader(self) -> Optional[Leader]:
        with self._lock:
            return self._leader

    def close(self) -> None:
        with self._lock:
            self._closed = True
            channels = list(self._channels.values())
            self._channels.clear()
            self._stubs.clear()
        for channel in channels:
            channel.close()

    def call(self, method: str, request, until: Optional[float] = None):
        """Runs one operation (one request, so one request id) on the leader and returns its answer.

        Retries elsewhere as the protocol says; raises the final TandemError, or an 'unavailable'
        one when the attempts (or the time until `until`, a time.monotonic() value) run out.
        """
        hinted = set()
        address = self._start_address()
        main = self._servers[0]
        attempts = failures = 0
        pause_s = 0.0
        rate_limited_ms = 0
        last_error: Optional[TandemError] = None
        while attempts < self.settings.max_attempts:
            if pause_s > 0:
                time.sleep(pause_s)
            timeout_s = self.settings.request_timeout_ms / 1000
            if until is not None:
                timeout_s = min(timeout_s, until - time.monotonic())
            if timeout_s <= 0:
                break
            attempts += 1
            follow_hint = False
            try:
                response = getattr(self._stub(address), method)(request, timeout=timeout_s)
                fenced = self._fence(response, address)
                if fenced is None:
                    self._accept(response.header, address)
                    return response
                last_error = fenced
                next_address = self._next_server(address)
            except grpc.RpcError as error:
                failure: Failure = describe_failure(error, address)
                with self._lock:
                    stale = failure.term is not None and failure.term < self._highest_term
                    if failure.term is not None and failure.term > self._highest_term:
                        self._highest_term = failure.term
                if not failure.error.retryable and not stale:
                    raise failure.error from None
                if failure.error.code == "rate_limited" and not stale:
                    # The server is fine and asks this client to slow down: not a failed attempt.
                    wait_ms = min(failure.error.retry_after_ms or 1000, MAX_RATE_LIMIT_WAIT_MS)
                    rate_limited_ms += wait_ms
                    if rate_limited_ms > MAX_RATE_LIMITED_TOTAL_MS:
                        raise failure.error from None
                    attempts -= 1
                    pause_s = wait_ms / 1000
                    continue
                last_error = failure.error
                target = None if stale else self._hinted_address(failure.hint)
                if target is not None and target != address and target not in hinted:
                    hinted.add(target)
                    next_address = self._learn_server(target)
                    follow_hint = True
                else:
                    next_address = self._next_server(address)
            if address == main:
                with self._lock:
                    self._avoid_main_until = time.monotonic() + self.settings.main_retry_interval_ms / 1000
            # A fresh hint is followed at once; anything else waits, so that an election can finish.
            pause_s = 0.0 if follow_hint else self._backoff_s(failures)
            if not follow_hint:
                failures += 1
            address = next_address
        reason = last_error if last_error is not None else "no attempt was made in time"
        raise TandemError(
            "unavailable",
            f"{method}: no server answered after {attempts} attempt(s): {reason}",
            retryable=True,
            grpc_code=last_error.grpc_code if last_error else None,
        )

    # -- routing --------------------------------------------------------------------------------

    def _start_address(self) -> str:
        with self._lock:
            if time.monotonic() >= self._avoid_main_until:
                return self._servers[0]
            if self._leader is not None:
                return self._leader.address
        return self._next_server(self._servers[0])

    def _next_server(self, address: str) -> str:
        with self._lock:
            index = self._servers.index(address) if address in self._servers else -1
            return self._servers[(index + 1) % len(self._servers)]

    def _learn_server(self, address: str) -> str:
        with self._lock:
            if address not in self._servers and len(self._servers) < MAX_SERVERS:
                self._servers.append(address)
        return address

    def _hinted_address(self, hint: Optional[LeaderHint]) -> Optional[str]:
        if hint is None:
            return None
        if hint.address is not None:
            return hint.address
        with self._lock:
            if hint.leader_id is not None and self._leader is not None and self._leader.leader_id == hint.leader_id:
                return self._leader.address
        return None

    def _backoff_s(self, failures: int) -> float:
        ceiling_ms = min(self.settings.retry_backoff_ms * 2 ** min(failures, 16), MAX_RETRY_BACKOFF_MS)
        # Jitter keeps workstations that lost the same leader from retrying in step.
        return (ceiling_ms / 2 + random.random() * ceiling_ms / 2) / 1000

    # -- fencing --------------------------------------------------------------------------------

    def _fence(self, response, address: str) -> Optional[TandemError]:
        """An answer without a header, or from a term older than one seen, may be a deposed leader's."""
        with self._lock:
            highest = self._highest_term
        if not response.HasField("header"):
            return TandemError("fenced", f"{address} answered without a header", retryable=True, address=address)
        if response.header.term < highest:
            return TandemError(
                "fenced",
                f"{address} answered from term {response.header.term}, but term {highest} has been seen",
                retryable=True,
                term=response.header.term,
                address=address,
            )
        return None

    def _accept(self, header, address: str) -> None:
        with self._lock:
            self._highest_term = max(self._highest_term, header.term)
            if header.state == common.NODE_STATE_LEADER:
                self._leader = Leader(header.node_id or address, address, header.term)

    # -- channels -------------------------------------------------------------------------------

    def _stub(self, address: str):
        with self._lock:
            if self._closed:
                raise TandemError("closed", "the connection is closed", retryable=False)
            stub = self._stubs.get(address)
            if stub is None:
                if self._credentials is None:
                    channel = grpc.insecure_channel(address, options=CHANNEL_OPTIONS)
                else:
                    channel = grpc.secure_channel(address, self._credentials, options=CHANNEL_OPTIONS)
                self._channels[address] = channel
                stub = self._stubs[address] = services.WorkstationServiceStub(channel)
            return stub

