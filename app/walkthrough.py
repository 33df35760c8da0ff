"""The demo committee walks the demo session from check-in to the signed report against a live server.

``make demo`` runs this so a newcomer sees every step and the price computation in the terminal; it uses
only the public API (the same client library as the desktop client).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient, Endpoint, Sequencer, open_channel
from app.services.witness import LogWitness
from bideval.audit.signing import SoftwareSigner
from bideval.identity.credential import unlock_credential
from bideval.identity.pki import Role, cert_from_pem
from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2

COMMITTEE = ("E01", "E02", "E03", "E04", "E05")


def connect(address: str, credential: Path, pin: str, device: str) -> ApiClient:
    unlocked = unlock_credential(credential, pin)
    endpoint = Endpoint(address, unlocked.ca_pem, unlocked.cert_pem, unlocked.key_pem)
    signer = SoftwareSigner(cert_from_pem(unlocked.cert_pem), unlocked.private_key)
    client = ApiClient(open_channel(endpoint), Sequencer(device, signer))
    # Every participant checks the audit receipts; supervisors also co-sign the heads they checked.
    cosigner = signer if unlocked.identity.role is Role.SUPERVISOR else None
    client.witness = LogWitness(client.audit, cert_from_pem(unlocked.ca_pem), cosigner)
    return client


def print_summary(view: session_pb2.SessionView, summary: session_pb2.GroupSummary) -> None:
    names = {b.id: b.name for b in view.bidders}
    prices = {b.id: b.price for b in view.bidders}
    price = summary.price
    print(f"\n评标基准价计算 (base price, {price.formula_version}):")
    for step in price.steps:
        print(f"  {step}")
    print("\n排名 (ranking):")
    print(f"  {'名次':<4}{'投标人':<24}{'报价(元)':>16}{'总分':>10}  候选人")
    for ranked in summary.ranking:
        candidate = "是" if ranked.candidate else ""
        line = (
            f"{ranked.rank:<5}{names[ranked.bidder_id]:<24}{prices[ranked.bidder_id]:>16}{ranked.total:>10}"
        )
        print(f"  {line}  {candidate}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.walkthrough", description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--credentials", type=Path, required=True, help="directory of the demo credentials")
    parser.add_argument("--pin", default="123456")
    parser.add_argument("--leader", default="E02")
    args = parser.parse_args(argv)

    def client(person: str) -> ApiClient:
        return connect(
            args.address, args.credentials / f"{person}.bidcred", args.pin, f"walkthrough-{person}"
        )

    supervisor = client("S01")
    listed = supervisor.evaluation.ListMySessions(evaluation_service_pb2.ListMySessionsRequest())
    if not listed.sessions:
        print("no session on the server", file=sys.stderr)
        return 1
    session = listed.sessions[0]
    print(f"项目 (project): {session.project_name} / {session.lot_name}")
    if session.phase != common_pb2.PHASE_CHECK_IN:
        print(f"the demo session is already at {common_pb2.Phase.Name(session.phase)}; rebuild with --force")
        return 0
    driver = CommitteeDriver(
        session.session_id,
        {person: client(person) for person in COMMITTEE},
        supervisor,
        progress=lambda message: print(f"  ✓ {message}", flush=True),
    )
    summary = driver.run_to_ranking(args.leader)
    driver.sign()
    if supervisor.witness is not None:
        head = supervisor.witness.check_latest()  # the supervisor witnesses (co-signs) the final log
        print(f"  ✓ 审计日志已核验并会签 (audit log checked and co-signed at {head.tree_size} entries)")
    print_summary(driver.view(), summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
