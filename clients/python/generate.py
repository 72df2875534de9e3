#!/usr/bin/env python3
"""Generates the Python modules of Tandem's public gRPC API into clients/python/generated/.

The generated code is not committed: it must match the protobuf runtime it runs on (protoc's
output checks the runtime's version), so it is made on the machine that runs it, from the same
distribution's compiler and runtime (Debian: protobuf-compiler, protobuf-compiler-grpc,
python3-protobuf, python3-grpcio). The .proto files stay the one source.

Usage: python3 clients/python/generate.py
"""
import glob
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.join(HERE, "..", "..", "proto")
OUT = os.path.join(HERE, "generated")
# The public API only: the internal protocol (proto/tandem/v1/internal) is of no use to a client.
PUBLIC_PROTOS = sorted(glob.glob(os.path.join(PROTO_ROOT, "tandem", "v1", "*.proto")))


def main() -> int:
    protoc = shutil.which("protoc")
    plugin = shutil.which("grpc_python_plugin")
    if protoc is None or plugin is None:
        print(
            "generate.py needs protoc and grpc_python_plugin "
            "(Debian: apt-get install protobuf-compiler protobuf-compiler-grpc)",
            file=sys.stderr,
        )
        return 1
    if not PUBLIC_PROTOS:
        print(f"no .proto files under {PROTO_ROOT}/tandem/v1", file=sys.stderr)
        return 1
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    command = [
        protoc,
        f"-I{PROTO_ROOT}",
        f"--python_out={OUT}",
        f"--grpc_out={OUT}",
        f"--plugin=protoc-gen-grpc={plugin}",
        *PUBLIC_PROTOS,
    ]
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
