"""Driven by test/python-client.test.ts: holds a lease with the Python client while the test kills
main, and prints what happens as JSON lines on stdout.

argv[1]: JSON {servers, ca, cert, key, workstationId, licenceId, ttlMs, units}. Then it acquires,
reports `units`, and reads commands from stdin: `report <units>`, `release` (releases and exits).
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))

from tandem_client import TandemError, WorkstationClient  # noqa: E402


def emit(event: str, **fields) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def on_event(kind, lease, detail) -> None:
    if kind == "renewed":
        emit("renewed", leaseId=lease.lease_id, nodeId=detail.node_id, term=detail.term)
    elif kind in ("renewal_failed", "lost"):
        emit(kind, leaseId=lease.lease_id, error=str(detail))


def report(client: WorkstationClient, licence_id: str, units: int) -> None:
    usage = client.report_usage(licence_id, units)
    emit("usage", used=usage.used, remaining=usage.remaining, term=usage.term)


def main() -> int:
    config = json.loads(sys.argv[1])
    client = WorkstationClient(
        config["servers"],
        config["workstationId"],
        ca=config["ca"],
        cert=config["cert"],
        key=config["key"],
        on_event=on_event,
    )
    try:
        lease = client.acquire(config["licenceId"], ttl_ms=config["ttlMs"])
        leader = client.leader
        emit("acquired", leaseId=lease.lease_id, nodeId=leader.leader_id if leader else "", term=client.term)
        report(client, config["licenceId"], config["units"])
        for line in sys.stdin:
            command = line.split()
            if command[:1] == ["report"]:
                report(client, config["licenceId"], int(command[1]))
            elif command == ["release"]:
                lease.release()
                emit("released", leaseId=lease.lease_id, state=lease.state)
                return 0
        emit("error", error="stdin closed before release")
        return 1
    except TandemError as error:
        emit("error", error=str(error), code=error.code)
        return 1
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
