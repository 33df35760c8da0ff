"""``bideval-admin demo``: a complete data directory for a realistic session, ready to serve.

Creates the platform CA, one PIN-protected credential per committee member, reserve, supervisor and one
operator, generates the demo package (a county road project in Jiangxi with seven bids as real PDFs) and
imports it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from bideval.identity.pki import Role
from server.admin.cli import DEFAULT_VALID_DAYS, issue_credential
from server.admin.importer import import_package
from server.datadir import PASSPHRASE_ENV, DataDir
from server.packages.demo import build_demo_package
from server.packages.manifest import load_package

# The demo's PKI passphrase when BIDEVAL_PKI_PASSPHRASE is not set. A demo only: real deployments set their
# own passphrase and keep it offline.
DEMO_PASSPHRASE = "bideval-demo-passphrase"
DEMO_OPERATOR = ("OP01", "交易中心工作人员")


def demo_passphrase() -> bytes:
    return os.environ.get(PASSPHRASE_ENV, DEMO_PASSPHRASE).encode()


def credentials_dir(root: Path) -> Path:
    return root / "credentials"


def build_demo(root: Path, pin: str, force: bool = False) -> str:
    data_dir = DataDir(root)
    if data_dir.pki.exists():
        if not force:
            return f"demo data directory {root} already exists (use --force to rebuild it)"
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    passphrase = demo_passphrase()
    data_dir.pki.init("bideval demo platform CA", ["localhost", "127.0.0.1"], passphrase, DEFAULT_VALID_DAYS)
    package = build_demo_package(root / "package")
    loaded = load_package(package)
    people: dict[str, tuple[str, Role]] = {DEMO_OPERATOR[0]: (DEMO_OPERATOR[1], Role.OPERATOR)}
    for setup in loaded.setups:
        people.update({m.person_id: (m.name, Role.EXPERT) for m in setup.members})
        people.update({s.person_id: (s.name, Role.SUPERVISOR) for s in setup.supervisors})
    out_dir = credentials_dir(root)
    out_dir.mkdir(mode=0o700, exist_ok=True)
    for person_id, (name, role) in sorted(people.items()):
        issue_credential(
            data_dir,
            passphrase,
            person_id,
            name,
            role,
            pin,
            out_dir / f"{person_id}.bidcred",
            DEFAULT_VALID_DAYS,
        )
    setups = import_package(data_dir, package, passphrase)
    lines = [f"demo data directory ready: {root}"]
    for setup in setups:
        lines.append(f"  session {setup.session_id}: {setup.project.name} ({len(setup.bidders)} bidders)")
    lines.append(f"  credentials in {out_dir} (PIN {pin}): " + ", ".join(sorted(people)))
    return "\n".join(lines)
