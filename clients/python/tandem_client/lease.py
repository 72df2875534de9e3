"""A seat held by this workstation, renewed by a background thread every third of its TTL until it
is released or lost (docs/client-protocol.md, section 5).

A renewal that no server answers keeps being retried past the lease's local expiry (measured from
when the last successful renewal was first sent) for the renewal grace: a new leader extends every
live lease by the time its failover took, so the seat is still there when the cluster answers
again. Only the server's word (lease_not_found, or another rejection) or the end of the grace
declares the lease lost.
"""
import threading
import time
from typing import Callable, Optional

from .errors import TandemError

# The smallest pause between renewal attempts after a failure, so that a dying lease cannot spin.
MIN_RENEWAL_RETRY_S = 0.010

HELD, RELEASED, LOST = "held", "released", "lost"


class Lease:
    """Events go to `on_event(kind, lease, detail)`: 'renewed' (detail: the answering header),
    'renewal_failed' (the error; it will be retried), 'lost' (the error, or None at the grace's end),
    'released'. The callback runs on the renewal thread or the caller's; keep it short."""

    def __init__(
        self,
        client,
        lease,
        sent_at: float,
        renewal_grace_s: float,
        on_event: Optional[Callable[[str, "Lease", object], None]] = None,
    ):
        if lease.ttl_ms <= 0:
            raise ValueError(f"lease {lease.lease_id} has no TTL")
        self._client = client
        self.lease = lease
        self.state = HELD
        self._renewal_grace_s = renewal_grace_s
        self._on_event = on_event or (lambda kind, handle, detail: None)
        self._expires_at = sent_at + lease.ttl_ms / 1000
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"renew {lease.lease_id}", daemon=True)
        self._thread.start()

    @property
    def lease_id(self) -> str:
        return self.lease.lease_id

    @property
    def renewal_interval_s(self) -> float:
        """A third of the TTL, so that two renewals can fail before the lease expires."""
        return max(1, self.lease.ttl_ms // 3) / 1000

    def release(self) -> None:
        """Stops renewal and gives the seat back. A lease already gone on the server counts as
        released; an unreachable cluster raises, and the seat then frees itself when its TTL ends."""
        with self._lock:
            if self.state != HELD:
                return
            self.state = RELEASED
        self._stop.set()
        try:
            answer = self._client._release(self.lease_id)
        except TandemError as error:
            if not error.lease_gone:
                raise
        else:
            # Recorded as an intent (pair mode, split brain): the merge ends the lease; done all the same.
            if answer.HasField("lease"):
                self.lease = answer.lease
        self._on_event("released", self, None)

    def abandon(self) -> None:
        """Stops renewal without telling the server (the client is closing); the TTL frees the seat."""
        with self._lock:
            if self.state == HELD:
                self.state = RELEASED
        self._stop.set()

    def _run(self) -> None:
        delay = self.renewal_interval_s
        while not self._stop.wait(delay):
            next_delay = self._renew_once()
            if next_delay is None:
                return
            delay = next_delay

    def _renew_once(self) -> Optional[float]:
        """One renewal operation; returns the pause before the next, or None when renewal ends."""
        sent_at = time.monotonic()
        try:
            answer = self._client._renew(self.lease_id, until=self._expires_at + self._renewal_grace_s)
        except TandemError as error:
            return self._renewal_failed(error)
        with self._lock:
            if self.state != HELD:
                return None
            # Recorded as an intent: the lease is kept as it was; its local expiry moves as for a renewal.
            if answer.HasField("lease"):
                self.lease = answer.lease
            self._expires_at = sent_at + self.lease.ttl_ms / 1000
        self._on_event("renewed", self, answer.header)
        return self.renewal_interval_s

    def _renewal_failed(self, error: TandemError) -> Optional[float]:
        now = time.monotonic()
        with self._lock:
            if self.state != HELD:
                return None
            gone = error.lease_gone or error.rejected
            if gone or now >= self._expires_at + self._renewal_grace_s:
                self.state = LOST
        if self.state == LOST:
            self._on_event("lost", self, error)
            return None
        self._on_event("renewal_failed", self, error)
        # Before the local expiry retry within what is left; after it, at a steady pace until the
        # cluster answers or the grace ends.
        remaining = self._expires_at - now
        delay = min(self.renewal_interval_s, remaining / 2) if remaining > 0 else self.renewal_interval_s
        return max(MIN_RENEWAL_RETRY_S, delay)
