"""bideval-server: serve a data directory over gRPC with mutual TLS."""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import signal
import sys
import threading
from pathlib import Path

from bideval.audit.signing import SoftwareSigner
from bideval.identity.pki import cert_from_pem, key_from_pem
from server.application import EvaluationApp
from server.datadir import DataDir, read_passphrase
from server.rpc.auth import version_key
from server.rpc.server import TlsMaterial, create_server

log = logging.getLogger("bideval.server")
SWITCH_INTERVAL_SECONDS = 0.0002


def configure_logging(log_dir: Path, verbose: bool) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    file_handler = logging.handlers.RotatingFileHandler(
        log_dir / "server.log", maxBytes=10 << 20, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(formatter)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [file_handler, console]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bideval-server", description=__doc__)
    parser.add_argument(
        "--data-dir", type=Path, required=True, help="server data directory (see bideval-admin)"
    )
    parser.add_argument("--listen", default="127.0.0.1:50051", help="HOST:PORT; port 0 picks a free port")
    parser.add_argument("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db")
    parser.add_argument("--passphrase-file", type=Path, help="file holding the PKI passphrase")
    parser.add_argument(
        "--min-client-version",
        default=os.environ.get("BIDEVAL_MIN_CLIENT_VERSION") or None,
        help="refuse clients older than this version, e.g. 0.2.0 (env BIDEVAL_MIN_CLIENT_VERSION)",
    )
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.min_client_version is not None:
        try:
            version_key(args.min_client_version)
        except ValueError as error:
            parser.error(f"--min-client-version: {error}")

    # gRPC's own threads and the handler threads share one GIL; a handler waking from its fsync must not
    # wait the default 5 ms for a thread that holds the GIL to yield it.
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    data_dir = DataDir(args.data_dir)
    configure_logging(data_dir.logs, args.verbose)
    if not data_dir.pki.exists():
        parser.error(
            f"{args.data_dir} has no PKI; run `bideval-admin pki init --data-dir {args.data_dir}` first"
        )
    certificate, private_key, ca_certificate = data_dir.pki.load_server(read_passphrase(args.passphrase_file))
    store = data_dir.open_store(args.database_url)
    # The server's TLS key also signs the audit log's tree heads: its certificate comes from the platform
    # CA, so a verifier holding only the CA certificate can check every head.
    app = EvaluationApp(store, SoftwareSigner(cert_from_pem(certificate), key_from_pem(private_key, None)))
    server, port, health = create_server(
        app,
        args.listen,
        TlsMaterial(certificate, private_key, ca_certificate),
        min_client_version=args.min_client_version,
    )
    host = args.listen.rsplit(":", 1)[0]
    # Tests and scripts read this line to learn the port when --listen used port 0.
    print(f"bideval-server listening on {host}:{port}", flush=True)
    log.info("serving %s on %s:%d", args.data_dir, host, port)
    if args.min_client_version:
        log.info("refusing clients older than %s", args.min_client_version)

    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        log.info("signal %d: shutting down", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    stopping.wait()
    health.enter_graceful_shutdown()
    server.stop(grace=5).wait()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
