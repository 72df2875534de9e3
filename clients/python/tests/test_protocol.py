"""The client protocol's rules in the Python client, without a server: which statuses are retried,
leader hints, fencing by term, one request per operation on every attempt.

Run: python3 -m unittest discover -s clients/python/tests (after generate.py).
"""
import os
import sys
import unittest

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tandem_client.connection import ClusterConnection, Settings  # noqa: E402
from tandem_client.errors import TandemError, describe_failure  # noqa: E402
from tandem_client.wire import common, workstation  # noqa: E402


class FakeRpcError(grpc.RpcError):
    def __init__(self, code, details="", metadata=()):
        super().__init__()
        self._code, self._details, self._metadata = code, details, tuple(metadata)

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return self._metadata


class FakeStub:
    """Answers AcquireLease from a script of answers (a response or an RpcError), and records the
    requests it was sent."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []

    def AcquireLease(self, request, timeout):
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def leader_answer(node_id, term):
    header = common.ResponseHeader(term=term, node_id=node_id, state=common.NODE_STATE_LEADER)
    return workstation.LeaseResponse(header=header, lease=common.Lease(lease_id="lease-1", ttl_ms=3000))


def connection_with(stubs):
    connection = ClusterConnection(
        list(stubs), None, Settings(max_attempts=5, retry_backoff_ms=1, main_retry_interval_ms=0)
    )
    connection._stub = lambda address: stubs[address]
    return connection


class StatusMapping(unittest.TestCase):
    def failure(self, code, details="", **metadata):
        return describe_failure(FakeRpcError(code, details, metadata.items()), "main:7400")

    def test_a_follower_refusal_names_the_leader(self):
        failure = self.failure(
            grpc.StatusCode.UNAVAILABLE,
            "not_leader",
            **{"tandem-leader-address": "backup:7400", "tandem-leader-id": "backup", "tandem-term": "4"},
        )
        self.assertTrue(failure.error.retryable)
        self.assertEqual(failure.error.code, "not_leader")
        self.assertEqual((failure.hint.address, failure.hint.leader_id), ("backup:7400", "backup"))
        self.assertEqual(failure.term, 4)

    def test_a_tls_failure_is_final(self):
        failure = self.failure(grpc.StatusCode.UNAVAILABLE, "Ssl handshake failed: CERTIFICATE_VERIFY_FAILED")
        self.assertFalse(failure.error.retryable)
        self.assertEqual(failure.error.code, "tls")

    def test_a_rejection_is_final_and_named_by_its_reason(self):
        failure = self.failure(grpc.StatusCode.RESOURCE_EXHAUSTED, "full", **{"tandem-reason": "seat_limit_reached"})
        self.assertFalse(failure.error.retryable)
        self.assertEqual(failure.error.code, "seat_limit_reached")
        self.assertTrue(failure.error.rejected)

    def test_a_rate_limit_is_retried_after_the_wait_asked(self):
        failure = self.failure(
            grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down", **{"tandem-reason": "rate_limited", "tandem-retry-after-ms": "250"}
        )
        self.assertTrue(failure.error.retryable)
        self.assertEqual(failure.error.retry_after_ms, 250)

    def test_internal_is_retried_only_without_a_term(self):
        self.assertTrue(self.failure(grpc.StatusCode.INTERNAL, "stream reset").error.retryable)
        self.assertFalse(self.failure(grpc.StatusCode.INTERNAL, "bug", **{"tandem-term": "2"}).error.retryable)

    def test_a_missing_lease_is_gone(self):
        failure = self.failure(grpc.StatusCode.NOT_FOUND, "no such lease", **{"tandem-field": "lease_id"})
        self.assertTrue(failure.error.lease_gone)


class Routing(unittest.TestCase):
    def request(self):
        return workstation.AcquireLeaseRequest(request_id="req-1", licence_id="cad", workstation_id="ws", ttl_ms=3000)

    def test_follows_the_hint_with_the_same_request(self):
        refusal = FakeRpcError(grpc.StatusCode.UNAVAILABLE, "not_leader", [("tandem-leader-address", "backup:7400")])
        stubs = {"main:7400": FakeStub([refusal]), "backup:7400": FakeStub([leader_answer("backup", 3)])}
        connection = connection_with(stubs)
        response = connection.call("AcquireLease", self.request())
        self.assertEqual(response.header.node_id, "backup")
        self.assertEqual(connection.leader.address, "backup:7400")
        self.assertEqual(connection.term, 3)
        sent = stubs["main:7400"].requests + stubs["backup:7400"].requests
        self.assertEqual([request.request_id for request in sent], ["req-1", "req-1"])

    def test_fences_an_answer_from_an_older_term(self):
        stubs = {
            "main:7400": FakeStub([leader_answer("main", 5), leader_answer("main", 4), leader_answer("main", 5)]),
            "backup:7400": FakeStub([FakeRpcError(grpc.StatusCode.UNAVAILABLE, "no leader")]),
        }
        connection = connection_with(stubs)
        connection.call("AcquireLease", self.request())
        # Term 5 seen: main's answer from term 4 is not taken; the backup fails; main again, term 5.
        response = connection.call("AcquireLease", self.request())
        self.assertEqual(response.header.term, 5)
        self.assertEqual(len(stubs["main:7400"].requests), 3)

    def test_a_final_answer_is_not_retried(self):
        rejection = FakeRpcError(grpc.StatusCode.FAILED_PRECONDITION, "expired", [("tandem-reason", "licence_expired")])
        stubs = {"main:7400": FakeStub([rejection]), "backup:7400": FakeStub([])}
        with self.assertRaises(TandemError) as raised:
            connection_with(stubs).call("AcquireLease", self.request())
        self.assertEqual(raised.exception.code, "licence_expired")
        self.assertEqual(stubs["backup:7400"].requests, [])


if __name__ == "__main__":
    unittest.main()
