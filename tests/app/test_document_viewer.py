"""The document viewer on real PDFs: the demo package's Chinese bids and a generated 300-page bid.

Set BIDEVAL_SCREENSHOTS=1 to also save a screenshot of the viewer showing a demo bid to
``docs/screenshots/document_viewer.png`` (for the docs); without it the tests write no file outside tmp.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

# PySide6 >= 6.12 ships QtPdf in its own wheel (PySide6-Pdf), no longer in PySide6-Addons.
pytest.importorskip("PySide6.QtPdf", reason="PySide6.QtPdf is not installed (the PySide6-Pdf wheel)")

from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from reportlab.pdfgen import canvas

from app.ui.document_viewer import DocumentViewer, PageThumbnailModel, SideBySideViewer
from server.packages.manifest import LoadedPackage

LONG_PAGES = 300
SCREENSHOTS_ENV = "BIDEVAL_SCREENSHOTS"
SIGNED = "电子签章验证通过"


@pytest.fixture(scope="session")
def long_pdf() -> bytes:
    """A 300-page PDF with one line of text per page ("Page N 第N页"), built in memory."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    for number in range(1, LONG_PAGES + 1):
        pdf.setFont("Helvetica", 14)
        pdf.drawString(72, 760, f"Page {number} ")
        pdf.drawString(72, 740, f"Section{number:03d} marker")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


@pytest.fixture(scope="session")
def demo_bids(demo_package: LoadedPackage) -> list[tuple[str, bytes]]:
    return [(path.stem, path.read_bytes()) for path in sorted((demo_package.root / "bids").glob("*.pdf"))]


def opened(qtbot: QtBot, title: str, data: bytes, status: str = SIGNED) -> DocumentViewer:
    viewer = DocumentViewer()
    qtbot.addWidget(viewer)
    viewer.resize(1000, 800)
    assert viewer.open_document(title, data, hashlib.sha256(data).hexdigest(), status)
    return viewer


def has_ink(viewer: DocumentViewer) -> bool:
    image = viewer.view.viewport().grab().toImage()
    return any(
        image.pixelColor(x, y).lightness() < 128
        for x in range(0, image.width(), 4)
        for y in range(0, image.height(), 4)
    )


def test_demo_bid_opens_with_its_pages_and_header(qtbot: QtBot, demo_bids: list[tuple[str, bytes]]) -> None:
    title, data = demo_bids[0]
    viewer = opened(qtbot, title, data)
    assert viewer.page_count() > 1
    assert viewer.thumbnails.rowCount() == viewer.page_count()
    header = viewer.header_label.text()
    assert title in header
    assert hashlib.sha256(data).hexdigest()[:16] + "…" in header
    assert hashlib.sha256(data).hexdigest()[:17] not in header
    assert SIGNED in header
    assert viewer.error_label.isHidden()
    if os.environ.get(SCREENSHOTS_ENV) == "1":  # opt-in: the only place these tests write outside tmp
        viewer.show()
        qtbot.waitExposed(viewer)
        qtbot.waitUntil(lambda: has_ink(viewer))  # QPdfView renders pages on a thread of its own
        target = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "document_viewer.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        assert viewer.grab().save(str(target))


def test_long_document_page_count_and_go_to_page(qtbot: QtBot, long_pdf: bytes) -> None:
    viewer = opened(qtbot, "三百页投标文件", long_pdf, "未验证")
    assert viewer.page_count() == LONG_PAGES
    navigator = viewer.view.pageNavigator()
    with qtbot.waitSignal(viewer.sig_page_changed) as changed:
        assert viewer.go_to_page(12)
    assert changed.args == [12]
    assert navigator.currentPage() == 11
    assert viewer.current_page() == 12
    assert viewer.go_to_page(LONG_PAGES)
    assert navigator.currentPage() == LONG_PAGES - 1
    assert not viewer.go_to_page(0)
    assert not viewer.go_to_page(LONG_PAGES + 1)
    assert navigator.currentPage() == LONG_PAGES - 1


def test_zoom_in_out_and_fit_width(qtbot: QtBot, long_pdf: bytes) -> None:
    viewer = opened(qtbot, "long", long_pdf)
    viewer.zoom_out()  # leaves fit-width for a custom factor
    start = viewer.view.zoomFactor()
    viewer.zoom_in()
    assert viewer.view.zoomFactor() == pytest.approx(start * 1.25)
    viewer.zoom_out()
    viewer.zoom_out()
    assert viewer.view.zoomFactor() == pytest.approx(start / 1.25)
    viewer.fit_width_action.trigger()
    assert viewer.view.zoomMode() == viewer.view.ZoomMode.FitToWidth
    assert [a.shortcut().toString() for a in (viewer.zoom_in_action, viewer.zoom_out_action)] == [
        "Ctrl+=",
        "Ctrl+-",
    ]
    assert viewer.fit_width_action.shortcut().toString() == "Ctrl+0"


def test_search_finds_ascii_text_and_steps_through_hits(qtbot: QtBot, long_pdf: bytes) -> None:
    viewer = opened(qtbot, "long", long_pdf)
    assert viewer.search("Page 123") == 1
    assert viewer.view.pageNavigator().currentPage() == 122
    assert viewer.search("Section123") == 1
    assert viewer.view.pageNavigator().currentPage() == 122
    assert viewer.search("no such words") == 0
    assert viewer.search_status_label.text() == "未找到"
    hits = viewer.search("marker")
    assert hits == LONG_PAGES
    assert viewer.search_status_label.text() == f"1 / {LONG_PAGES}"
    viewer.next_action.trigger()
    assert viewer.view.currentSearchResultIndex() == 1
    assert viewer.view.pageNavigator().currentPage() == 1
    viewer.previous_result()
    viewer.previous_result()
    assert viewer.view.currentSearchResultIndex() == LONG_PAGES - 1
    assert viewer.view.pageNavigator().currentPage() == LONG_PAGES - 1


def test_thumbnails_are_rendered_lazily(qtbot: QtBot, long_pdf: bytes) -> None:
    viewer = opened(qtbot, "long", long_pdf)
    viewer.show()
    qtbot.waitExposed(viewer)
    model = viewer.thumbnails
    assert model.rowCount() == LONG_PAGES
    qtbot.waitUntil(lambda: 0 in model.rendered_pages())
    assert 0 < len(model.rendered_pages()) < 20
    viewer.thumbnail_list.scrollTo(model.index(LONG_PAGES - 1, 0))
    qtbot.waitUntil(lambda: LONG_PAGES - 1 in model.rendered_pages())
    assert len(model.rendered_pages()) < 40


def test_thumbnail_model_passes_qt_model_tester(
    qtmodeltester: ModelTester, qtbot: QtBot, demo_bids: list[tuple[str, bytes]]
) -> None:
    title, data = demo_bids[0]
    viewer = opened(qtbot, title, data)
    model: PageThumbnailModel = viewer.thumbnails
    qtmodeltester.check(model)


def test_corrupted_pdf_shows_an_error_and_the_viewer_recovers(
    qtbot: QtBot, long_pdf: bytes, demo_bids: list[tuple[str, bytes]]
) -> None:
    viewer = DocumentViewer()
    qtbot.addWidget(viewer)
    garbage = os.urandom(4096)
    assert not viewer.open_document("坏文件", garbage, hashlib.sha256(garbage).hexdigest(), "未验证")
    assert not viewer.error_label.isHidden()
    assert "无法打开" in viewer.error_label.text()
    assert viewer.page_count() == 0
    assert viewer.thumbnails.rowCount() == 0
    assert not viewer.go_to_page(1)
    assert viewer.search("Page") == 0
    title, data = demo_bids[0]
    assert viewer.open_document(title, data, hashlib.sha256(data).hexdigest(), SIGNED)
    assert viewer.error_label.isHidden()
    assert viewer.page_count() > 1


def test_side_by_side_shows_two_documents(qtbot: QtBot, demo_bids: list[tuple[str, bytes]]) -> None:
    viewer = SideBySideViewer()
    qtbot.addWidget(viewer)
    (left_title, left), (right_title, right) = demo_bids[0], demo_bids[1]
    assert viewer.compare(
        (left_title, left, hashlib.sha256(left).hexdigest(), SIGNED),
        (right_title, right, hashlib.sha256(right).hexdigest(), "未验证"),
    ) == (True, True)
    assert viewer.splitter.count() == 2
    assert left_title in viewer.left.header_label.text()
    assert right_title in viewer.right.header_label.text()
    assert "未验证" in viewer.right.header_label.text()
    assert viewer.left.page_count() > 1
    assert viewer.right.page_count() > 1
    assert viewer.left.go_to_page(2)
    assert viewer.right.current_page() == 1
