"""Installer benchmark: the frozen client's size on disk and start time, against running from source.

One run measures:

* bundle size: bytes on disk (allocated blocks, as ``du``) and number of files of ``dist/bideval`` (the
  PyInstaller folder), and of the ``.deb`` if there is one; for comparison the source's own footprint is
  the virtual environment, which is also reported;
* start time, one run each, frozen ``dist/bideval/bideval`` against ``python -m app.main`` from the source
  tree, for two commands: ``--version`` (interpreter and argument parsing, no Qt) and ``--self-test``
  without a server (Qt, a rendered window, QtPdf, SQLCipher with two scrypt runs, translations): the
  start of a client doing real work. Offscreen, so no display is needed.

"Cold": with ``--drop-caches`` (root only) the kernel's page cache is dropped before each start, as after
a reboot of the room PC; this slows every other process on the machine for a moment. Without it the
first start is measured with whatever the page cache holds (files read by the build are usually cached).

    .venv/bin/python bench/installer.py [--dist dist/bideval] [--drop-caches] [--json out.json]

The exit status is 0 whatever the numbers: this is a measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def disk_usage(folder: Path) -> tuple[int, int]:
    """(bytes allocated on disk, number of files) under ``folder``, symlinks not followed."""
    total = 0
    files = 0
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        files += 1
        total += path.lstat().st_blocks * 512
    return total, files


def drop_caches() -> None:
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def timed_start(command: list[str], cold: bool) -> tuple[float, int]:
    """Wall-clock seconds from spawn to exit, and the exit code."""
    if cold:
        drop_caches()
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen", BIDEVAL_ROOM_CONFIG="/nonexistent/room.toml")
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, check=False)
    return time.perf_counter() - started, result.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/installer.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=REPO / "dist" / "bideval")
    parser.add_argument("--drop-caches", action="store_true", help="drop the page cache before each start")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    frozen = args.dist / ("bideval.exe" if sys.platform == "win32" else "bideval")
    if not frozen.exists():
        print(f"no frozen client at {frozen}: run `make installer` first", file=sys.stderr)
        return 1
    if args.drop_caches and os.geteuid() != 0:
        print("--drop-caches needs root", file=sys.stderr)
        return 1

    results: dict[str, object] = {
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "cold": args.drop_caches,
    }
    bundle_bytes, bundle_files = disk_usage(args.dist)
    venv_bytes, venv_files = disk_usage(Path(sys.prefix))
    results["bundle"] = {"mib": round(bundle_bytes / 2**20, 1), "files": bundle_files}
    results["venv"] = {"mib": round(venv_bytes / 2**20, 1), "files": venv_files}
    print(f"frozen folder   {bundle_bytes / 2**20:8.1f} MiB  {bundle_files:6d} files  ({args.dist})")
    print(f"source venv     {venv_bytes / 2**20:8.1f} MiB  {venv_files:6d} files  ({sys.prefix}, all extras)")
    debs = sorted((args.dist.parent).glob("bideval-client_*.deb"), key=lambda path: path.stat().st_mtime)
    if debs:
        size = debs[-1].stat().st_size
        results["deb"] = {"mib": round(size / 2**20, 1), "name": debs[-1].name}
        print(f".deb            {size / 2**20:8.1f} MiB          ({debs[-1].name})")

    starts: dict[str, dict[str, float]] = {}
    for label, arguments in (("--version", ["--version"]), ("--self-test", ["--self-test"])):
        frozen_seconds, frozen_code = timed_start([str(frozen), *arguments], args.drop_caches)
        source_seconds, source_code = timed_start(
            [sys.executable, "-m", "app.main", *arguments], args.drop_caches
        )
        ratio = frozen_seconds / source_seconds
        starts[label] = {
            "frozen_s": round(frozen_seconds, 3),
            "source_s": round(source_seconds, 3),
            "ratio": round(ratio, 2),
        }
        codes = "" if frozen_code == source_code == 0 else f"  (exit codes {frozen_code}/{source_code})"
        print(
            f"start {label:<12} frozen {frozen_seconds:6.2f} s   source {source_seconds:6.2f} s   "
            f"frozen/source {ratio:4.2f}{codes}"
        )
    results["start"] = starts
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
