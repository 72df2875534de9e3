"""What a failed call means to a client: a typed error, the responder's term, a leader hint.

The one place that reads gRPC statuses and Tandem's trailing metadata (docs/client-protocol.md,
sections 3 and 6).
"""
import re
from dataclasses import dataclass
from typing import Optional

import grpc

LEADER_ADDRESS_KEY = "tandem-leader-address"
LEADER_ID_KEY = "tandem-leader-id"
TERM_KEY = "tandem-term"
REASON_KEY = "tandem-reason"
FIELD_KEY = "tandem-field"
RETRY_AFTER_KEY = "tandem-retry-after-ms"
RATE_LIMITED_REASON = "rate_limited"

# How gRPC words a connection that failed on certificates: the same on every attempt.
TLS_FAILURE = re.compile(r"certificate|ssl|handshake|tlsv1 alert", re.IGNORECASE)


class TandemError(Exception):
    """An operation failed. `retryable` says whether the same request may succeed elsewhere or later."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        retryable: bool,
        grpc_code: Optional[grpc.StatusCode] = None,
        term: Optional[int] = None,
        address: Optional[str] = None,
        field: Optional[str] = None,
        retry_after_ms: Optional[int] = None,
    ):
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        self.grpc_code = grpc_code
        self.term = term
        self.address = address
        self.field = field
        self.retry_after_ms = retry_after_ms

    @property
    def rejected(self) -> bool:
        """A ledger rejection (or another final answer about the request): retrying repeats it."""
        final_codes = (
            grpc.StatusCode.NOT_FOUND,
            grpc.StatusCode.FAILED_PRECONDITION,
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            grpc.StatusCode.ALREADY_EXISTS,
        )
        return not self.retryable and self.grpc_code in final_codes

    @property
    def lease_gone(self) -> bool:
        """The server's word that a lease no longer exists (expired on the server, or revoked)."""
        return self.code == "lease_not_found" or (
            self.grpc_code == grpc.StatusCode.NOT_FOUND and self.field == "lease_id"
        )


@dataclass
class LeaderHint:
    address: Optional[str]
    leader_id: Optional[str]


@dataclass
class Failure:
    error: TandemError
    term: Optional[int]
    hint: Optional[LeaderHint]


def _metadata(error: grpc.RpcError) -> dict:
    pairs = error.trailing_metadata() or ()
    found = {}
    for key, value in pairs:
        if key not in found:
            found[key] = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return found


def _term(text: Optional[str]) -> Optional[int]:
    return int(text) if text is not None and text.isdigit() and len(text) <= 20 else None


def describe_failure(error: grpc.RpcError, address: str) -> Failure:
    """Maps a failed call to a typed error, as the table in docs/client-protocol.md says."""
    code = error.code()
    metadata = _metadata(error)
    message = error.details() or code.name
    term = _term(metadata.get(TERM_KEY))
    reason = metadata.get(REASON_KEY) or None
    field = metadata.get(FIELD_KEY) or None
    hint = None
    if metadata.get(LEADER_ADDRESS_KEY) or metadata.get(LEADER_ID_KEY):
        hint = LeaderHint(metadata.get(LEADER_ADDRESS_KEY) or None, metadata.get(LEADER_ID_KEY) or None)

    def typed(name: str, retryable: bool, retry_after_ms: Optional[int] = None) -> TandemError:
        return TandemError(
            name,
            f"{address}: {message}",
            retryable=retryable,
            grpc_code=code,
            term=term,
            address=address,
            field=field,
            retry_after_ms=retry_after_ms,
        )

    S = grpc.StatusCode
    if code == S.UNAVAILABLE:
        if TLS_FAILURE.search(message):
            return Failure(typed("tls", False), term, None)
        return Failure(typed("not_leader" if hint else "unavailable", True), term, hint)
    if code in (S.DEADLINE_EXCEEDED, S.CANCELLED, S.ABORTED):
        return Failure(typed(code.name.lower(), True), term, None)
    if code == S.INTERNAL:
        # A server stamps its own errors with a term; without one it is the transport failing.
        return Failure(typed("transport" if term is None else "internal", term is None), term, None)
    if code == S.RESOURCE_EXHAUSTED and reason == RATE_LIMITED_REASON:
        wait = metadata.get(RETRY_AFTER_KEY, "")
        wait_ms = int(wait) if wait.isdigit() and len(wait) <= 7 else 1000
        return Failure(typed(RATE_LIMITED_REASON, True, wait_ms), term, None)
    # Everything else is final: a ledger rejection (its reason is the code), bad input, no access.
    return Failure(typed(reason or code.name.lower(), False), term, None)
