"""Render resources/icons/bideval.svg into the PNG sizes the desktops want and a Windows .ico.

The SVG is the source; the PNGs and the ICO are committed so that a build needs no renderer. Run after
changing the SVG: ``QT_QPA_PLATFORM=offscreen .venv/bin/python installer/make_icons.py``.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

# A build tool beside the client, not server code: Qt is the renderer the client itself uses.
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: TID251
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: TID251
from PySide6.QtSvg import QSvgRenderer  # noqa: TID251

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
# hicolor sizes used by Debian/UOS/Kylin menus and docks, and the ones Windows picks for shortcuts.
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 256)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; PySide6 wants str
    return bytes(buffer.data().data())


def ico_bytes(images: list[tuple[int, bytes]]) -> bytes:
    """An ICO holding PNG-compressed images (accepted since Windows Vista); 256 is written as 0."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries = b""
    data = b""
    for size, png in images:
        side = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(data))
        data += png
    return header + entries + data


def main() -> int:
    application = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(QByteArray((ICONS / "bideval.svg").read_bytes()))
    if not renderer.isValid():
        print("bideval.svg did not parse", file=sys.stderr)
        return 1
    rendered = {size: png_bytes(render(renderer, size)) for size in sorted({*PNG_SIZES, *ICO_SIZES})}
    for size in PNG_SIZES:
        (ICONS / f"bideval-{size}.png").write_bytes(rendered[size])
    (ICONS / "bideval.ico").write_bytes(ico_bytes([(size, rendered[size]) for size in ICO_SIZES]))
    del application
    return 0


if __name__ == "__main__":
    sys.exit(main())
