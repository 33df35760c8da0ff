"""The .deb from ``make installer``: install it, run the installed client's self-test against a live server,
then remove and purge it and check that nothing it installed is left behind.

As root, with the package's dependencies present, it goes into the real system with ``dpkg -i`` (the CI
container, a test VM). Otherwise (not root, missing display libraries, a configured room already there)
dpkg installs into a temporary root (``--root``, maintainer scripts run without chroot, with ``DPKG_ROOT``
set); the installed client is then started from there, which works because the frozen folder finds its
libraries relative to itself.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import RunningServer

pytestmark = pytest.mark.installer

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "bideval-client"
ENABLE_ENV = "BIDEVAL_TEST_INSTALLER"
DEB_ENV = "BIDEVAL_DEB"
SELF_TEST_TIMEOUT = 180  # seconds: a cold start of a 200 MB bundle on a busy 2-core VM


def find_deb() -> Path | None:
    if os.environ.get(DEB_ENV):
        return Path(os.environ[DEB_ENV])
    debs = sorted((REPO / "dist").glob(f"{PACKAGE}_*.deb"), key=lambda path: path.stat().st_mtime)
    return debs[-1] if debs else None


@dataclass
class Dpkg:
    """dpkg on the real system (root) or on a temporary root directory (anyone)."""

    root: Path  # "/" for the real system

    @property
    def args(self) -> list[str]:
        if self.root == Path("/"):
            return ["dpkg"]
        return [
            "dpkg",
            f"--root={self.root}",
            "--force-not-root",
            "--force-script-chrootless",
            "--force-depends",  # the temporary root has no packages, only the host's libraries
            "--log=/dev/null",
        ]

    def run(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([*self.args, *arguments], capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"dpkg {' '.join(arguments)}:\n{result.stdout}\n{result.stderr}"
        return result

    def path(self, installed: str) -> Path:
        """Where an installed path (as dpkg -L prints it) lives in this root."""
        return self.root / installed.lstrip("/")


def unmet_dependencies(deb: Path) -> list[str]:
    depends = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True, text=True, check=True
    ).stdout
    unmet = []
    for clause in filter(None, (part.strip() for part in depends.split(","))):
        names = [re.sub(r"\s*\(.*\)", "", alternative).strip() for alternative in clause.split("|")]
        if not any(_installed(name) for name in names):
            unmet.append(clause)
    return unmet


def _installed(name: str) -> bool:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True, check=False
    )
    return result.returncode == 0 and result.stdout.endswith("installed")


def package_paths(deb: Path) -> list[str]:
    """Every path in the package's data archive, as the installed absolute path."""
    listing = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True).stdout
    names = subprocess.run(["tar", "-t"], input=listing, capture_output=True, check=True).stdout.decode()
    paths = {"/" + line.removeprefix("./").rstrip("/") for line in names.splitlines()}
    return sorted(path for path in paths if path != "/")


@pytest.fixture
def deb() -> Path:
    found = find_deb()
    if found is None or not found.exists():
        if os.environ.get(ENABLE_ENV) == "1":
            pytest.fail(f"{ENABLE_ENV}=1 but no dist/{PACKAGE}_*.deb: run `make installer` first")
        pytest.skip(f"no dist/{PACKAGE}_*.deb: run `make installer` (or set {DEB_ENV}=path/to.deb)")
    if shutil.which("dpkg") is None:
        pytest.skip("dpkg is not available (not a Debian-family system)")
    return found


def system_install_refused(deb: Path) -> str | None:
    """Why the package cannot go into the real system here (None: it can)."""
    if os.geteuid() != 0:
        return "not root"
    if _installed(PACKAGE):
        return f"{PACKAGE} is installed on this machine already"
    if Path("/etc/bideval").exists():
        return "/etc/bideval exists (a configured room?) and purging would delete it"
    unmet = unmet_dependencies(deb)
    if unmet:
        return f"its dependencies are not installed ({', '.join(unmet)})"
    return None


@pytest.fixture
def dpkg(deb: Path, tmp_path: Path) -> Iterator[Dpkg]:
    refused = system_install_refused(deb)
    if refused is not None:
        # The same dpkg install/remove cycle in a temporary root: the frozen client needs none of the
        # missing libraries offscreen, and nothing of this machine is touched.
        print(f"installing into a temporary root: {refused}")
        root = tmp_path / "root"
        admin = root / "var" / "lib" / "dpkg"
        for folder in (admin / "info", admin / "updates", admin / "triggers"):
            folder.mkdir(parents=True)
        (admin / "status").touch()
        (admin / "available").touch()
        # The folders every desktop system has: the menu cache tools write their own cache files there,
        # which belong to the system, not to the package.
        for shared in ("opt", "usr/bin", "usr/lib", "usr/share/applications", "usr/share/icons/hicolor"):
            (root / shared).mkdir(parents=True, exist_ok=True)
        yield Dpkg(root)
        return
    system = Dpkg(Path("/"))
    yield system
    # A failed assertion must not leave the package installed on the machine.
    if _installed(PACKAGE):
        subprocess.run([*system.args, "--purge", PACKAGE], capture_output=True, check=False)


def test_install_self_test_and_remove(deb: Path, dpkg: Dpkg, server: RunningServer, tmp_path: Path) -> None:
    paths = package_paths(deb)
    existed_before = {path for path in paths if dpkg.path(path).exists() or dpkg.path(path).is_symlink()}

    dpkg.run("--install", str(deb))
    listing = dpkg.run("--listfiles", PACKAGE).stdout.splitlines()
    listed = [line for line in listing if line.startswith("/") and line != "/."]  # "/." is the root itself
    assert set(paths) <= set(listed)
    missing = [path for path in listed if not (dpkg.path(path).exists() or dpkg.path(path).is_symlink())]
    assert not missing, f"listed by dpkg -L but not on disk: {missing[:10]}"
    assert "/usr/share/applications/bideval.desktop" in listed
    assert any(
        path.startswith("/usr/share/icons/hicolor/") and path.endswith("/apps/bideval.png") for path in listed
    )
    desktop = dpkg.path("/usr/share/applications/bideval.desktop").read_text(encoding="utf-8")
    assert "Name=远程异地评标" in desktop
    assert "Name[en]=Remote bid evaluation" in desktop
    validator = shutil.which("desktop-file-validate")
    if validator is not None:
        checked = subprocess.run(
            [validator, str(dpkg.path("/usr/share/applications/bideval.desktop"))],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr

    # The installed client, offscreen, as room staff would run it after installing; its own home folder
    # so that nothing is written to the tester's, and no room configuration of this machine is read.
    home = tmp_path / "home"
    home.mkdir()
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "QT_QPA_PLATFORM": "offscreen",
        "BIDEVAL_ROOM_CONFIG": str(tmp_path / "no-room.toml"),
        "LANG": "C.UTF-8",
    }
    executable = dpkg.path("/opt/bideval/bideval")
    ca_file = server.pki.directory.ca_path
    result = subprocess.run(
        [str(executable), "--self-test", "--server", server.address, "--ca", str(ca_file)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=SELF_TEST_TIMEOUT,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert re.search(r"^OK\s+.*server TLS: .*commonName=localhost", result.stdout, re.MULTILINE), report
    assert re.search(r"^OK\s+.*PDF viewer", result.stdout, re.MULTILINE), report
    assert re.search(r"^OK\s+.*SQLCipher", result.stdout, re.MULTILINE), report

    # The same client against a port nobody listens on: the self-test must say so and fail.
    stopped = subprocess.run(
        [str(executable), "--self-test", "--server", "127.0.0.1:1", "--ca", str(ca_file)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=SELF_TEST_TIMEOUT,
        check=False,
    )
    assert stopped.returncode != 0
    assert "connection refused" in stopped.stdout

    # Room configuration written after installing (as `bideval --configure` would) survives `dpkg -r`
    # and goes with `dpkg -P`.
    room = dpkg.path("/etc/bideval")
    room.mkdir(parents=True)
    shutil.copyfile(ca_file, room / "platform-ca.pem")

    # Upgrade path (dpkg runs the old package's prerm/postrm with "upgrade"): the configuration stays.
    dpkg.run("--install", str(deb))
    assert (room / "platform-ca.pem").exists()
    assert executable.exists()

    dpkg.run("--remove", PACKAGE)
    assert (room / "platform-ca.pem").exists()
    assert not dpkg.path("/opt/bideval").exists()

    dpkg.run("--purge", PACKAGE)
    assert not room.exists()
    left = [
        path
        for path in listed
        if path not in existed_before and (dpkg.path(path).exists() or dpkg.path(path).is_symlink())
    ]
    assert not left, f"left behind after dpkg -P: {left[:10]}"
    # The user's own data is not the package's business.
    assert home.exists()
