"""Compile-check of the Windows installer script with makensis (Debian: `apt-get install nsis`).

The real input is the PyInstaller folder built on Windows; here a dummy folder of the same shape stands in,
which checks the script's syntax, its includes and language strings, and that it packs the whole folder.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "installer" / "windows" / "bideval.nsi"


@pytest.fixture
def makensis() -> str:
    found = shutil.which("makensis")
    if found is None:
        pytest.skip("makensis is not installed (Debian: apt-get install nsis)")
    return found


def test_script_compiles_and_packs_the_folder(makensis: str, tmp_path: Path) -> None:
    dist = tmp_path / "dist" / "bideval"
    (dist / "_internal" / "PySide6").mkdir(parents=True)
    (dist / "bideval.exe").write_bytes(b"MZ dummy")
    (dist / "_internal" / "python311.dll").write_bytes(b"dummy")
    (dist / "_internal" / "PySide6" / "Qt6Pdf.dll").write_bytes(b"dummy")
    setup = tmp_path / "bideval-client-setup-9.8.7.exe"
    result = subprocess.run(
        # -WX: warnings are errors, so a deprecated or dubious construct fails the check too.
        [makensis, "-V4", "-WX", "-DVERSION=9.8.7", f"-DDIST={dist}", f"-DOUTFILE={setup}", str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert setup.stat().st_size > 50_000
    assert setup.read_bytes()[:2] == b"MZ"
    for packed in ("bideval.exe", "python311.dll", "Qt6Pdf.dll", "bideval.ico"):
        assert f'File: "{packed}"' in log, packed
    assert (
        "WriteRegStr: HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\bideval\\DisplayVersion"
        in log
    )
    assert "$PROGRAMFILES64\\bideval" in log
