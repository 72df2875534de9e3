"""The generated protobuf and gRPC modules (clients/python/generated, made by generate.py)."""
import os
import sys

GENERATED_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "generated")
if GENERATED_DIR not in sys.path:
    sys.path.insert(0, GENERATED_DIR)

try:
    from tandem.v1 import common_pb2 as common  # noqa: E402
    from tandem.v1 import workstation_pb2 as workstation  # noqa: E402
    from tandem.v1 import workstation_pb2_grpc as services  # noqa: E402
except ImportError as error:  # pragma: no cover - a setup mistake, explained
    raise ImportError(
        f"the generated Tandem modules are missing or stale ({error}): "
        "run python3 clients/python/generate.py"
    ) from error

__all__ = ["common", "services", "workstation"]
