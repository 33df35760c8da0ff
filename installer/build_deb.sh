#!/usr/bin/env bash
# Wrap the frozen client (dist/bideval/, from installer/bideval.spec) into a Debian package:
#   dist/bideval-client_<version>_<arch>.deb
# Usage: installer/build_deb.sh [FROZEN_DIR [OUT_DIR]]      (defaults: dist/bideval dist)
#
# Layout: /opt/bideval (the frozen folder), /usr/bin/bideval (wrapper), the menu entry, hicolor icons and a
# polkit action so staff can open the room setup from the menu. The room configuration (/etc/bideval) is
# written by `bideval --configure`, not shipped: `dpkg -r` leaves it, `dpkg -P` removes it (postrm).
# Built with dpkg-deb --root-owner-group: no fakeroot, no root needed, files owned by root in the package.
set -euo pipefail
cd "$(dirname "$0")/.."
FROZEN=${1:-dist/bideval}
OUT=${2:-dist}
HERE=installer/linux
ICONS=resources/icons

if [ ! -x "$FROZEN/bideval" ]; then
    echo "build_deb: $FROZEN/bideval is missing: run PyInstaller first (make installer)" >&2
    exit 1
fi
PYTHON=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
VERSION=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
ARCH=$(dpkg --print-architecture)
# The bundle carries the build machine's libpython, linked against its glibc: that is the oldest glibc
# the package runs on. Build on the oldest target distribution to reach older room PCs.
GLIBC=$(getconf GNU_LIBC_VERSION | cut -d' ' -f2)
PACKAGE=bideval-client
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/bideval-deb.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
ROOT="$STAGE/root"
umask 022

install -d "$ROOT/opt" "$ROOT/usr/bin" "$ROOT/usr/share/applications" "$ROOT/usr/share/polkit-1/actions" \
    "$ROOT/usr/share/doc/$PACKAGE" "$ROOT/DEBIAN"
cp -a "$FROZEN" "$ROOT/opt/bideval"
# PyInstaller keeps the build user's permissions; the package must not ship group/world-writable files.
chmod -R u+rwX,go+rX,go-w "$ROOT/opt/bideval"
install -m 0755 "$HERE/bideval.sh" "$ROOT/usr/bin/bideval"
install -D -m 0755 "$HERE/bideval-self-test" "$ROOT/usr/lib/bideval/bideval-self-test"
install -m 0644 "$HERE/bideval.desktop" "$ROOT/usr/share/applications/bideval.desktop"
install -m 0644 "$HERE/cn.bideval.configure.policy" "$ROOT/usr/share/polkit-1/actions/cn.bideval.configure.policy"
for png in "$ICONS"/bideval-*.png; do
    size=$(basename "$png" .png); size=${size#bideval-}
    install -D -m 0644 "$png" "$ROOT/usr/share/icons/hicolor/${size}x${size}/apps/bideval.png"
done
install -D -m 0644 "$ICONS/bideval.svg" "$ROOT/usr/share/icons/hicolor/scalable/apps/bideval.svg"
cat > "$ROOT/usr/share/doc/$PACKAGE/copyright" <<COPYRIGHT
bideval client $VERSION. Proprietary; bundles Python, Qt (LGPLv3, via PySide6), gRPC, OpenSSL,
SQLCipher and their dependencies under their own licences (see /opt/bideval/_internal).
COPYRIGHT
install -m 0755 "$HERE/postinst" "$HERE/postrm" "$ROOT/DEBIAN/"

INSTALLED_KB=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
# Depends: the system libraries the bundled Qt links against but PyInstaller does not ship (X11 input
# helpers, OpenGL/EGL, fontconfig). Wayland is optional: UOS and Kylin run X11 sessions.
cat > "$ROOT/DEBIAN/control" <<CONTROL
Package: $PACKAGE
Version: $VERSION
Architecture: $ARCH
Maintainer: bideval team <bideval@localhost>
Installed-Size: $INSTALLED_KB
Section: misc
Priority: optional
Depends: libc6 (>= $GLIBC), libxcb-icccm4, libxcb-keysyms1, libxcb-cursor0, libxkbcommon-x11-0, libegl1, libgl1, libfontconfig1, libdbus-1-3
Recommends: libwayland-cursor0, libwayland-egl1, desktop-file-utils, pkexec | policykit-1
Homepage: https://localhost/bideval
Description: 远程异地评标客户端 / remote bid evaluation client
 The desktop client for evaluation experts and supervisors of remote and
 off-site bid evaluation. Self-contained: needs no Python. Staff configure
 the room with "bideval --configure" (or the menu's room setup action) and
 check an installation with "bideval --self-test".
CONTROL

mkdir -p "$OUT"
DEB="$OUT/${PACKAGE}_${VERSION}_${ARCH}.deb"
# gzip: every dpkg reads it (UOS 20 and Kylin V10 have dpkg 1.19: no zstd), and it compresses the 200 MB
# bundle in seconds where xz took five minutes on the 2-core build VM, for a 25% smaller package.
dpkg-deb --root-owner-group -Zgzip --build "$ROOT" "$DEB" >/dev/null
echo "$DEB"
