"""``bideval-verify BUNDLE``: check an evidence bundle offline, with nothing but the file.

No database, no server, no network: this module imports only ``bideval.audit`` (and what that needs), never
``server`` or ``app``. Exit codes:

- 0: every check passed (prints ``OK: …`` with the counts, the final tree head and each device's last change);
- 1: the bundle does not verify (prints ``FAILED: <the first bad item>``);
- 2: the file cannot be read or is not a well-formed bundle (prints ``FAILED: malformed bundle: …``);
- 3: the verifier itself failed (a bug; prints ``ERROR: …``): no statement about the bundle.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bideval.audit.bundle import BundleError, VerificationError, read_bundle, verify_bundle

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_MALFORMED = 2
EXIT_INTERNAL = 3


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bideval-verify",
        description="Verify a bideval evidence bundle offline: certificates, signed tree heads, consistency "
        "and inclusion proofs, signed changes and their chains, events and co-signatures.",
    )
    parser.add_argument("bundle", help="the evidence bundle (JSON file)")
    args = parser.parse_args(argv)
    try:
        parts = read_bundle(args.bundle)
    except BundleError as error:
        print(f"FAILED: malformed bundle: {error}")
        return EXIT_MALFORMED
    try:
        report = verify_bundle(parts)
    except VerificationError as error:
        print(f"FAILED: {error}")
        return EXIT_FAILED
    except Exception as error:  # noqa: BLE001 - a verifier bug must not read as a verdict on the bundle
        print(f"ERROR: the verifier failed ({type(error).__name__}: {error}); no statement about the bundle")
        return EXIT_INTERNAL
    print(f"OK: {report.summary()}")
    for device in report.devices:
        print(
            f"  device {device.device_id!r} of {device.actor_id}: changes 1 to {device.changes}, "
            f"last in entry {device.last_entry}, last envelope SHA-256 {device.last_envelope_sha256}"
        )
    for position, cosigner in enumerate(report.cosigners):
        print(f"  cosignature {position}: {cosigner}")
    print(f"  exported_at {parts.exported_at.isoformat()} is not signed; everything else above is checked")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
