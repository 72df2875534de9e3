"""A Python workstation client for Tandem, following docs/client-protocol.md."""
from .client import MAX_HELD_LEASES, UsageReport, WorkstationClient
from .connection import Leader, Settings
from .errors import TandemError
from .lease import Lease

__all__ = ["Lease", "Leader", "MAX_HELD_LEASES", "Settings", "TandemError", "UsageReport", "WorkstationClient"]
