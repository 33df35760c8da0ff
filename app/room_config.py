"""The evaluation room's configuration: which server, which platform CA, which venue, kiosk or not.

Set once per room PC by the staff (installer or ``bideval --configure``) in a system-wide file that experts
cannot change: ``/etc/bideval/room.toml`` on Linux, ``%ProgramData%\\bideval\\room.toml`` on Windows
(``BIDEVAL_ROOM_CONFIG`` points elsewhere, for tests). The client then trusts only the room's CA for the
server, whatever CA a credential file carries.

No Qt here except inside ``apply_kiosk`` (imported lazily), so loading and checking the file is testable
without a GUI; the staff PIN is kept as an scrypt hash, never in plain text.

The client reads this file before its login window first paints, so reading it is cheap: cryptography (the
CA certificate checks), ssl/socket (the connection test) and hashlib (the staff PIN) are imported inside the
functions that use them. ``load_room_config(check_ca=False)`` leaves the CA check out, for the client to
run (:func:`check_ca_file`) right after the first paint and before the login can be submitted.
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography import x509
    from PySide6.QtWidgets import QWidget

CONFIG_ENV = "BIDEVAL_ROOM_CONFIG"
CA_FILE_NAME = "platform-ca.pem"
KNOWN_KEYS = frozenset({"server", "ca_file", "venue_id", "kiosk", "staff_pin_hash"})
_VENUE_ID = re.compile(r"^[\w.-]{1,64}$")
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
# scrypt parameters of the staff PIN: the same cost as a credential's PIN (about 0.1 s per try).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 1 << 15, 8, 1
_SCRYPT_MAXMEM = 64 << 20
# Every user can read the hash (the client verifies it as the expert), so a short PIN could be brute-forced
# offline; 8 characters keep that out of reach of an evaluation day.
MIN_STAFF_PIN = 8


class RoomConfigError(Exception):
    """The room configuration is missing a piece, unreadable or wrong; the message says which and where."""


class CaFileError(RoomConfigError):
    """The platform CA file is missing, unreadable, not PEM or not a CA certificate."""


class RoomConfigNotWritable(RoomConfigError):
    """The system-wide configuration folder cannot be written: staff must run the setup as administrator."""


class CredentialCaMismatch(RoomConfigError):
    """The credential file was issued under another CA than the one this room trusts."""


class ConnectionCheckError(Exception):
    """The test connection to the server failed; ``unreachable`` tells a network fault from a wrong CA."""

    def __init__(self, message: str, unreachable: bool) -> None:
        super().__init__(message)
        self.unreachable = unreachable


@dataclass(frozen=True, slots=True)
class RoomConfig:
    server: str  # HOST:PORT
    ca_file: Path
    venue_id: str
    kiosk: bool = False
    staff_pin_hash: str = ""  # "scrypt$n$r$p$salt$hash" (base64); empty when no staff PIN is set

    def ca_pem(self) -> bytes:
        """The CA certificate as PEM (read and checked again: the file may have changed since loading)."""
        return check_ca_file(self.ca_file)[1]


@dataclass(frozen=True, slots=True)
class CaSummary:
    """What staff compare with the fingerprint the trading centre published."""

    subject: str
    sha256: str  # colon-separated upper-case hex


def default_config_path() -> Path:
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "bideval" / "room.toml"
    return Path("/etc/bideval/room.toml")


def is_installed() -> bool:
    """A frozen (PyInstaller) client is an installed one; from source the old editable login stays."""
    return bool(getattr(sys, "frozen", False))


# --- validation ---------------------------------------------------------------------------------------


def check_address(address: str) -> str:
    """``HOST:PORT`` with a host name, an IPv4 address or a bracketed IPv6 address; returns it stripped."""
    address = address.strip()
    host, separator, port_text = address.rpartition(":")
    if not separator or not host:
        raise RoomConfigError(f"server address {address!r} must be HOST:PORT, e.g. 10.1.2.3:50051")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise RoomConfigError(f"server address {address!r}: port must be a number from 1 to 65535")
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise RoomConfigError(f"server address {address!r}: {host} is not an IPv6 address") from None
    elif not _HOST_NAME.match(host):
        raise RoomConfigError(f"server address {address!r}: {host!r} is not a host name or IP address")
    return address


def check_ca_file(path: Path) -> tuple[x509.Certificate, bytes]:
    """The CA certificate and its PEM bytes, or CaFileError naming the file and what is wrong."""
    from cryptography import x509

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CaFileError(f"platform CA file {path} does not exist") from None
    except OSError as error:
        raise CaFileError(f"platform CA file {path} cannot be read: {error.strerror or error}") from None
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise CaFileError(f"platform CA file {path} is not a PEM certificate (BEGIN CERTIFICATE missing)")
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except ValueError as error:
        raise CaFileError(f"platform CA file {path} is not a readable PEM certificate: {error}") from None
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise CaFileError(
            f"{path} holds the certificate of {certificate.subject.rfc4514_string()}, which is not a CA "
            "certificate: choose the platform CA certificate"
        )
    return certificate, data


def ca_summary(path: Path) -> CaSummary:
    from cryptography.hazmat.primitives import hashes

    certificate, _pem = check_ca_file(path)
    digest = certificate.fingerprint(hashes.SHA256()).hex().upper()
    return CaSummary(
        certificate.subject.rfc4514_string(), ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
    )


def check_venue(venue_id: str) -> str:
    venue_id = venue_id.strip()
    if not _VENUE_ID.match(venue_id):
        raise RoomConfigError(
            f"venue id {venue_id!r} must be 1-64 letters, digits, '.', '_' or '-' "
            "(as registered for this room)"
        )
    return venue_id


# --- the staff PIN ------------------------------------------------------------------------------------


def hash_staff_pin(pin: str) -> str:
    import base64
    import secrets

    check_staff_pin(pin)
    salt = secrets.token_bytes(16)
    digest = _scrypt(pin, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    encoded = (base64.b64encode(part).decode("ascii") for part in (salt, digest))
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${'$'.join(encoded)}"


def check_staff_pin(pin: str) -> None:
    if len(pin) < MIN_STAFF_PIN:
        raise RoomConfigError(f"the staff PIN needs at least {MIN_STAFF_PIN} characters")


def verify_staff_pin(pin_hash: str, pin: str) -> bool:
    """Slow on purpose (scrypt): call it off the GUI thread."""
    import base64
    import hmac

    try:
        kind, n, r, p, salt, digest = pin_hash.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest, validate=True)
        actual = _scrypt(pin, base64.b64decode(salt, validate=True), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    import hashlib

    return hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=32)


def _check_pin_hash(pin_hash: str) -> str:
    parts = pin_hash.split("$")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(part.isdigit() for part in parts[1:4]):
        raise RoomConfigError("staff_pin_hash is not an scrypt hash written by bideval --configure")
    return pin_hash


# --- reading and writing ------------------------------------------------------------------------------


def load_room_config(path: Path | None = None, *, check_ca: bool = True) -> RoomConfig | None:
    """The room's configuration, or None when this PC has none (a developer machine, or not set up yet).

    Raises RoomConfigError for a file that exists but is unreadable or wrong: the client must not fall back
    to trusting some other CA. ``check_ca=False`` reads and checks everything but the CA file (which needs
    cryptography): the caller then runs :func:`check_ca_file` on ``ca_file`` before trusting anything.
    """
    path = path or default_config_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise RoomConfigError(
            f"room configuration {path} cannot be read: {error.strerror or error}"
        ) from None
    import tomllib  # here: a PC without room configuration (development, the benchmark) never needs it

    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RoomConfigError(f"room configuration {path} is not valid TOML: {error}") from None
    return _parse(document, path, check_ca)


def _parse(document: dict[str, Any], path: Path, check_ca: bool = True) -> RoomConfig:
    unknown = sorted(set(document) - KNOWN_KEYS)
    if unknown:
        raise RoomConfigError(f"room configuration {path}: unknown keys {', '.join(unknown)}")
    for key in ("server", "ca_file", "venue_id"):
        if not isinstance(document.get(key), str) or not document[key].strip():
            raise RoomConfigError(f"room configuration {path}: {key} is missing or not a string")
    kiosk = document.get("kiosk", False)
    if not isinstance(kiosk, bool):
        raise RoomConfigError(f"room configuration {path}: kiosk must be true or false")
    pin_hash = document.get("staff_pin_hash", "")
    if not isinstance(pin_hash, str):
        raise RoomConfigError(f"room configuration {path}: staff_pin_hash must be a string")
    if pin_hash:
        _check_pin_hash(pin_hash)
    elif kiosk:
        raise RoomConfigError(f"room configuration {path}: kiosk mode needs a staff PIN (staff_pin_hash)")
    ca_file = Path(document["ca_file"])
    if not ca_file.is_absolute():
        ca_file = path.parent / ca_file  # relative to the configuration, so the installer can ship both
    if check_ca:
        check_ca_file(ca_file)
    try:
        server = check_address(document["server"])
        venue_id = check_venue(document["venue_id"])
    except RoomConfigError as error:
        raise RoomConfigError(f"room configuration {path}: {error}") from None
    return RoomConfig(server, ca_file, venue_id, kiosk, pin_hash)


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def render_room_config(config: RoomConfig) -> str:
    return (
        "# bideval room configuration: written by `bideval --configure` (staff only)\n"
        f"server = {_toml_string(config.server)}\n"
        f"ca_file = {_toml_string(str(config.ca_file))}\n"
        f"venue_id = {_toml_string(config.venue_id)}\n"
        f"kiosk = {'true' if config.kiosk else 'false'}\n"
        f"staff_pin_hash = {_toml_string(config.staff_pin_hash)}\n"
    )


def write_room_config(
    server: str,
    ca_source: Path,
    venue_id: str,
    kiosk: bool,
    staff_pin_hash: str,
    path: Path | None = None,
) -> RoomConfig:
    """Check everything, copy the CA next to the configuration and write both atomically.

    The CA is copied because the chosen file is often on a USB stick or in a user's folder, which an expert
    could change; the copy lives in the protected system folder.
    """
    path = path or default_config_path()
    _certificate, ca_pem = check_ca_file(ca_source)
    config = RoomConfig(
        check_address(server),
        path.parent / CA_FILE_NAME,
        check_venue(venue_id),
        kiosk,
        _check_pin_hash(staff_pin_hash) if staff_pin_hash else "",
    )
    if kiosk and not staff_pin_hash:
        raise RoomConfigError("kiosk mode needs a staff PIN")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(config.ca_file, ca_pem)
        _write_atomically(path, render_room_config(config).encode("utf-8"))
    except OSError as error:
        raise RoomConfigNotWritable(
            f"cannot write {path}: {error.strerror or error} (run the setup as administrator/root)"
        ) from None
    return config


def _write_atomically(path: Path, data: bytes) -> None:
    import secrets

    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with temporary.open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # Readable by every user (experts' sessions read it), writable only by the administrator who wrote it.
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


# --- the credential and the connection ----------------------------------------------------------------


def check_credential_ca(config: RoomConfig, credential_ca_pem: bytes) -> None:
    """Refuse a credential issued under another CA than the room's (a stray test credential, a forgery)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    room_ca, _pem = check_ca_file(config.ca_file)
    try:
        credential_ca = x509.load_pem_x509_certificate(credential_ca_pem)
    except ValueError as error:
        raise CredentialCaMismatch(f"the credential's CA certificate is unreadable: {error}") from None
    if credential_ca.fingerprint(hashes.SHA256()) != room_ca.fingerprint(hashes.SHA256()):
        raise CredentialCaMismatch(
            f"credential issued by {credential_ca.subject.rfc4514_string()}, "
            f"this room trusts {room_ca.subject.rfc4514_string()}"
        )


def check_connection(address: str, ca_file: Path, timeout: float = 5.0) -> str:
    """Connect with TLS and verify the server's certificate against ``ca_file`` only; returns its subject.

    No client certificate is sent (staff have none at setup time): the server then refuses the session,
    but only after we verified its certificate, which is what this check is about.
    """
    import socket
    import ssl

    from cryptography import x509

    check_address(address)
    _ca, _pem = check_ca_file(ca_file)
    host = address.rpartition(":")[0].strip("[]")
    port = int(address.rpartition(":")[2])
    context = ssl.create_default_context(cafile=str(ca_file))
    context.set_alpn_protocols(["h2"])  # gRPC servers may refuse a TLS client that does not speak HTTP/2
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError as error:
        raise ConnectionCheckError(
            f"the server at {address} presented a certificate this CA does not vouch for: "
            f"{error.verify_message}",
            unreachable=False,
        ) from None
    except ssl.SSLError as error:
        if "CERTIFICATE_REQUIRED" in str(error):
            # TLS 1.3's "certificate required" alert comes after our side accepted the server certificate:
            # the server is there and is the platform's, it only wants a person's certificate we lack.
            return address
        raise ConnectionCheckError(f"TLS with {address} failed: {error}", unreachable=False) from None
    except OSError as error:
        raise ConnectionCheckError(
            f"cannot reach {address}: {error.strerror or error}", unreachable=True
        ) from None
    if not der:
        return address
    return x509.load_der_x509_certificate(der).subject.rfc4514_string()


def apply_kiosk(window: QWidget, config: RoomConfig | None) -> None:
    """Full screen, and closing or minimising ``window`` needs the staff PIN (no-op outside kiosk mode)."""
    if config is None or not config.kiosk:
        return
    from app.ui.room_setup import KioskGuard

    KioskGuard.install(window, config.staff_pin_hash)
