"""Render the client's main screens to ``docs/screenshots/*.png`` (offscreen, in Chinese).

Builds the demo data directory in a temporary folder (``bideval-admin demo``), serves it in-process over
mTLS on a free loopback port, logs in through the real login window as expert E01 and walks the session to
the signed report while a simulated committee (E02–E05) and supervisor S01 act between the shots through the
same client library. Each shot is ``widget.grab()`` of the real window: whatever page the window shows at
that step is what the picture shows, so running this again after UI changes refreshes every picture.

Needs a CJK font (Debian: ``apt-get install fonts-noto-cjk``). Run: ``make screenshots`` or
``.venv/bin/python tools/screenshots.py [--out docs/screenshots]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# This tool drives the client's windows, so it is Qt code like app/ (the ban keeps Qt out of server and
# domain code); the imports follow QT_QPA_PLATFORM being chosen.
from PySide6.QtCore import QCoreApplication, Qt  # noqa: E402, TID251
from PySide6.QtGui import QFont  # noqa: E402, TID251
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402, TID251

PIN = "123456"
ME = "E01"
OTHERS = ("E02", "E03", "E04", "E05")
SUPERVISOR = "S01"
PASSPHRASE = "bideval-screenshots-passphrase"
TIMEOUT = 60.0  # seconds for one step; the pledge countdown alone takes 10
SETTLE = 0.8  # seconds of event processing before a shot: the next refresh and repaint land


class ScreenshotError(RuntimeError):
    pass


def cjk_font_family() -> str:
    """The family of an installed Chinese font, or a clear error: without one every label is boxes."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise ScreenshotError("fc-list not found (fontconfig); install fontconfig and fonts-noto-cjk")
    listed = subprocess.run(
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    families = sorted({name.strip() for line in listed for name in line.split(",") if name.strip()})
    if not families:
        raise ScreenshotError(
            "no CJK font found (fc-list :lang=zh is empty): the screenshots would show boxes instead of "
            "Chinese. Install one, e.g. `sudo apt-get install -y fonts-noto-cjk`, then run again."
        )
    for preferred in ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei"):
        if preferred in families:
            return preferred
    return families[0]


def process_for(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.02)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    """Run the event loop until ``condition`` holds (background results arrive through it)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise ScreenshotError(f"timed out waiting for: {what}")
        QCoreApplication.processEvents()
        time.sleep(0.02)


class Shots:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.taken: list[str] = []

    def take(self, widget: QWidget, name: str) -> None:
        process_for(SETTLE)
        path = self.out / f"{name}.png"
        if not widget.grab().save(str(path)):
            raise ScreenshotError(f"could not write {path}")
        self.taken.append(path.name)
        print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)


@contextmanager
def demo_server(work: Path) -> Iterator[tuple[str, Path, Path]]:
    """(address, credentials dir, package dir) of the demo session served in-process on loopback."""
    os.environ["BIDEVAL_PKI_PASSPHRASE"] = PASSPHRASE
    from bideval.audit.signing import SoftwareSigner
    from bideval.identity.pki import cert_from_pem, key_from_pem
    from server.admin.demo import build_demo, credentials_dir
    from server.application import EvaluationApp
    from server.datadir import DataDir
    from server.rpc.server import TlsMaterial, create_server

    root = work / "data"
    print(build_demo(root, PIN, force=True), flush=True)
    data_dir = DataDir(root)
    certificate, private_key, ca_certificate = data_dir.pki.load_server(PASSPHRASE.encode())
    store = data_dir.open_store()
    app = EvaluationApp(store, SoftwareSigner(cert_from_pem(certificate), key_from_pem(private_key, None)))
    server, port, _health = create_server(
        app, "127.0.0.1:0", TlsMaterial(certificate, private_key, ca_certificate), max_workers=16
    )
    try:
        yield f"127.0.0.1:{port}", credentials_dir(root), root / "package"
    finally:
        server.stop(grace=None).wait()
        store.close()


def run(out: Path, work: Path) -> list[str]:
    family = cjk_font_family()
    application = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(application, QApplication)
    application.setFont(QFont(family, 10))
    os.environ["BIDEVAL_CLIENT_DATA"] = str(work / "client")  # caches go to the temporary folder
    out.mkdir(parents=True, exist_ok=True)
    shots = Shots(out)
    with demo_server(work) as (address, credentials, package):
        walk(shots, address, credentials, package)
    return shots.taken


def walk(shots: Shots, address: str, credentials: Path, package: Path) -> None:
    from app.services.committee import CommitteeDriver
    from app.ui.login import LoginResult, LoginWindow
    from app.ui.session_window import SessionWindow, open_session_window
    from app.walkthrough import connect
    from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2

    # -- login: the real window, the real PIN check
    login = LoginWindow(address, str(credentials / f"{ME}.bidcred"))
    login.resize(560, 420)
    login.show()
    login.pin_edit.setText(PIN)
    shots.take(login, "01-login")
    results: list[LoginResult] = []
    login.sig_logged_in.connect(results.append)
    login.submit()
    wait_until(lambda: bool(results), "the login")
    window = open_session_window(login, results[0])
    if window is None:
        raise ScreenshotError("the login opened no session")
    assert isinstance(window, SessionWindow)
    session_id = window.session_id

    def view() -> session_pb2.SessionView:
        wait_until(lambda: window.view is not None, "the session view")
        assert window.view is not None
        return window.view

    def me() -> session_pb2.Member:
        return next(m for m in view().members if m.person_id == ME)

    def at(phase: int) -> None:
        wait_until(
            lambda: window.view is not None and window.view.phase == phase,
            common_pb2.Phase.Name(phase),  # type: ignore[arg-type]
        )

    def record(rpc: str, **fields: Any) -> None:
        # Local first, like the window's own buttons: queued in E01's cache and sent by its sync engine.
        window.engine.record(rpc, **fields)
        window.refresh()

    people = {
        person: connect(address, credentials / f"{person}.bidcred", PIN, f"shots-{person}")
        for person in OTHERS
    }
    supervisor = connect(address, credentials / f"{SUPERVISOR}.bidcred", PIN, f"shots-{SUPERVISOR}")
    driver = CommitteeDriver(session_id, people, supervisor, seed=5)
    console = open_console(address, credentials)

    # -- check-in: E01 and two others; the list shows who is still missing
    at(common_pb2.PHASE_CHECK_IN)
    wait_until(lambda: window.checkin_page.check_in_button.isEnabled(), "the check-in button")
    window.check_in()
    wait_until(lambda: me().checked_in, "E01's check-in")
    driver.check_in(["E02", "E04"])
    wait_until(lambda: sum(m.checked_in for m in view().members) == 3, "three check-ins")
    shots.take(window, "02-checkin")
    driver.check_in()

    # -- pledge: the forced-read countdown is running
    at(common_pb2.PHASE_PLEDGE)
    shots.take(window, "03-pledge")
    wait_until(lambda: window.pledge_page.agree_button.isEnabled(), "the end of the countdown")
    window.accept_pledge()
    wait_until(lambda: me().pledged, "E01's pledge")
    driver.accept_pledge()

    # -- recusal
    at(common_pb2.PHASE_RECUSAL)
    shots.take(window, "04-recusal")
    window.declare_recusal([], "")
    wait_until(lambda: me().declared, "E01's declaration")
    driver.declare_no_conflict()

    # -- leader election: the others elect E01, so the following pages are the leader's
    at(common_pb2.PHASE_LEADER_ELECTION)
    wait_until(lambda: window.election_page.candidates_list.count() > 0, "the candidates")
    window.election_page.select(ME)
    shots.take(window, "05-election")
    window.vote()
    wait_until(lambda: bool(view().election.my_vote), "E01's vote")
    driver.elect(ME)

    # -- start gate: E01 asks, the supervisor approves (the console shows the pending approval)
    at(common_pb2.PHASE_AWAITING_START)
    shots.take(window, "06-awaiting-start")
    window.request_start()
    wait_until(lambda: view().start_requested, "E01's start request")
    if console is not None:
        wait_until(
            lambda: bool(getattr(getattr(console, "view", None), "start_requested", False)), "the console"
        )
        shots.take(console, "13-supervisor-console")
    supervisor.command("ApproveStart", session_id, approved=True, note="同意开始评标")

    # -- preliminary review: three of the others fail B04 with a reason; E01 passes everything
    at(common_pb2.PHASE_PRELIMINARY_REVIEW)
    reason = "项目经理未提供有效的安全生产考核合格证书（B证），不满足资格评审标准"
    for person in OTHERS:
        fails = {} if person == "E02" else {("B04", "Q4"): reason}
        driver.preliminary_sheet(person, fails)
    recorded: set[tuple[str, str]] = set()
    page: Any = getattr(window, "preliminary_page", None)
    # The page's grid is editable once it has restored E01's own verdicts; a page without that grid gets
    # E01's verdicts through the sync engine instead.
    with contextlib.suppress(ScreenshotError):
        wait_until(
            lambda: getattr(page, "model", None) is not None and page.model.read_only is False,
            "the preliminary grid",
            timeout=10,
        )
    mark_preliminary(window, record, 3, recorded)  # part of E01's sheet, as it looks while working through it
    process_for(1.5)
    shots.take(window, "07-preliminary-review")
    mark_preliminary(window, record, None, recorded)
    process_for(1.0)
    record("SubmitPreliminary")

    # -- detailed review: the others seal their sheets; E01 types into the score grid
    at(common_pb2.PHASE_DETAILED_REVIEW)
    for person in OTHERS:
        driver.detailed_sheet(person, 0.15)
    score_in_grid(window, driver, record)
    wait_until(lambda: not window.engine.status().unsynced, "E01's scores to sync", timeout=TIMEOUT)
    shots.take(window, "08-detailed-review")
    record("SubmitDetailed")
    wait_until(lambda: me().detailed_submitted, "E01's sealed sheet")

    # -- summary: E01 (leader) runs it; flagged members explain; then the ranking
    record("RunSummary")
    at(common_pb2.PHASE_SUMMARY)
    for flag in driver.summary().deviation_flags:
        text = "本人按评分标准逐项给分，评分有据可查"
        if flag.expert_id == ME:
            record("ExplainDeviation", bidder_id=flag.bidder_id, criterion_id=flag.criterion_id, text=text)
        else:
            people[flag.expert_id].command(
                "ExplainDeviation",
                session_id,
                bidder_id=flag.bidder_id,
                criterion_id=flag.criterion_id,
                text=text,
            )
    process_for(1.5)
    shots.take(window, "09-summary")
    record("FinalizeRanking")

    # -- report: the ranking and the signatures
    at(common_pb2.PHASE_REPORT)
    for person in OTHERS[:2]:
        people[person].command("SignReport", session_id, decision=evaluation_service_pb2.SIGN_DECISION_AGREE)
    process_for(1.5)
    shots.take(window, "10-report")
    for person in OTHERS[2:]:
        people[person].command("SignReport", session_id, decision=evaluation_service_pb2.SIGN_DECISION_AGREE)
    record("SignReport", decision=evaluation_service_pb2.SIGN_DECISION_AGREE)
    at(common_pb2.PHASE_CLOSED)
    shots.take(window, "11-closed")
    if console is not None:
        shots.take(console, "14-supervisor-console-closed")

    # -- the bid-document viewer, standalone with a real bid PDF
    shoot_viewer(shots, package)

    window.close()
    wait_until(lambda: not window.busy, "the window to settle")
    if console is not None:
        console.close()
    for client in (*people.values(), supervisor):
        client.close()


def mark_preliminary(
    window: Any, record: Callable[..., None], first: int | None, recorded: set[tuple[str, str]]
) -> None:
    """E01 passes every item of the first ``first`` bidders (all when None) through the page's own grid
    when it has one, else through the sync engine like any other change."""
    page = getattr(window, "preliminary_page", None)
    model = getattr(page, "model", None)
    if model is not None and hasattr(model, "set_passed"):
        rows = range(model.rowCount()) if first is None else range(min(first, model.rowCount()))
        for row in rows:
            for column in range(model.columnCount()):
                if model.verdict(model.bidder_id(row), model.criterion(column).id) is None:
                    model.set_passed(row, column)
        return
    view = window.view
    items = [c for c in view.method.criteria if c.stage == "preliminary"]
    bidders = list(view.bidders) if first is None else list(view.bidders)[:first]
    for bidder in bidders:
        for item in items:
            if (bidder.id, item.id) not in recorded:
                recorded.add((bidder.id, item.id))
                record("RecordPreliminaryVerdict", bidder_id=bidder.id, criterion_id=item.id, passed=True)


def score_in_grid(window: Any, driver: Any, record: Callable[..., None]) -> None:
    """E01's scores typed into the grid (its own editing path); what the grid does not take is recorded."""
    page = window.detailed_page
    # The grid stays read-only until the saved sheet is restored: typing earlier would go nowhere.
    wait_until(lambda: page.model is not None and not page.model.read_only, "the score grid to open")
    view = window.view
    model = page.model
    items = [c for c in view.method.criteria if c.stage == "detailed" and c.kind != "price"]
    for bidder_id in view.preliminary.valid_bidder_ids:
        for item in items:
            entry = driver.score_entry(ME, bidder_id, item, 0.1)
            text = {
                "points": entry.points,
                "objective": entry.objective,
                "vote": "是" if entry.vote else "否",
                "pass_fail": "是",
                "deductions": "无" if not entry.deductions.deductions else "",
            }.get(entry.WhichOneof("value") or "", "")
            typed = False
            cell = grid_cell(model, bidder_id, item.id) if model is not None and text else None
            if cell is not None:
                typed = bool(model.setData(cell, text, Qt.ItemDataRole.EditRole))
            if not typed:
                record("RecordScore", entry=entry)


def grid_cell(model: Any, bidder_id: str, criterion_id: str) -> Any:
    rows = [r for r in range(model.rowCount()) if model.bidder_id(r) == bidder_id]
    columns = [
        c for c in range(model.columnCount()) if getattr(model.criterion(c), "id", None) == criterion_id
    ]
    return model.index(rows[0], columns[0]) if rows and columns else None


def open_console(address: str, credentials: Path) -> QWidget | None:
    """The supervisor console of S01, when this checkout has one (it is optional for the shots)."""
    try:
        from app.ui.supervisor_window import open_supervisor_window
    except ImportError:
        return None
    from app.ui.login import log_in

    result = log_in(address, credentials / f"{SUPERVISOR}.bidcred", PIN)
    placeholder = QWidget()
    console = open_supervisor_window(placeholder, result)
    if console is not None:
        console.resize(1440, 860)
    return console


def shoot_viewer(shots: Shots, package: Path) -> None:
    import hashlib

    from app.ui.document_viewer import DocumentViewer

    bid = package / "bids" / "B03.pdf"
    data = bid.read_bytes()
    viewer = DocumentViewer()
    viewer.resize(1280, 800)
    viewer.show()
    if not viewer.open_document(
        "投标文件 — 江西省鸿远建设工程有限公司", data, hashlib.sha256(data).hexdigest(), "已验证"
    ):
        raise ScreenshotError(f"the viewer could not open {bid}")
    process_for(2.0)  # thumbnails render lazily
    shots.take(viewer, "12-document-viewer")
    viewer.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/screenshots.py", description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bideval-shots-"))
    try:
        taken = run(args.out.resolve(), work)
    except ScreenshotError as error:
        print(f"screenshots: {error}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{len(taken)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
