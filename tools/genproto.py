"""Regenerate the Python API from proto/ (``make proto``), or check the committed code matches (``--check``).

The generated modules live in ``bideval/v1`` so that their own ``from bideval.v1 import ...`` lines resolve
without rewriting; ``bideval`` is the package the client and the server share.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
GENERATED = ROOT / "bideval" / "v1"


def generate(out_root: Path) -> Path:
    """Run protoc (from grpcio-tools, so the version is pinned by the venv) into ``out_root``."""
    # protoc finds the mypy-protobuf plugins on PATH; they sit beside this interpreter in the venv.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / "bideval" / "v1").glob("*.proto"))
    include = str(Path(protoc.__file__).parent / "_proto")
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={out_root}",
        f"--grpc_python_out={out_root}",
        f"--mypy_out={out_root}",
        f"--mypy_grpc_out={out_root}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    target = out_root / "bideval" / "v1"
    (target / "__init__.py").write_text(
        '"""Generated from proto/bideval/v1 by tools/genproto.py; do not edit."""\n'
    )
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="fail if bideval/v1 differs from the .proto files"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        if args.check:
            comparison = filecmp.dircmp(fresh, GENERATED, ignore=["__pycache__"])
            drift = comparison.left_only + comparison.right_only + comparison.diff_files
            if drift:
                print(
                    f"generated code drifted from proto/: {sorted(drift)}; run `make proto`", file=sys.stderr
                )
                return 1
            print("generated code matches proto/")
            return 0
        if GENERATED.exists():
            shutil.rmtree(GENERATED)
        shutil.copytree(fresh, GENERATED)
        print(f"generated {len(list(GENERATED.glob('*.py*')))} files into {GENERATED.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
