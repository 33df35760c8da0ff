"""One client per user and PC: a second start must not open the same session cache a second time.

Two clients on one cache would number the device's changes twice; SQLCipher's own locking would only turn
that into errors later. A QLockFile in the user data folder (next to the caches, never next to the code) is
taken before anything else; a lock left by a crashed client (its process is gone) is taken over.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QLockFile

DATA_DIR_ENV = "BIDEVAL_CLIENT_DATA"
"""Overrides the per-user data folder (tests, kiosk installs). Defined here, in a module light enough for
the lock taken before the login window paints; the session caches (session_start) live under it too."""

LOCK_NAME = "bideval-client.lock"


class AlreadyRunning(Exception):
    """Another client of this user holds the lock."""


class InstanceLockError(OSError):
    """The lock could not be created: the data folder is not writable or the disk is full."""


def data_root() -> Path:
    """The per-user data folder (its ``sessions`` subfolder holds the caches; see session_start)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_dir  # a few ms before the first paint: only when needed

    return Path(user_data_dir("bideval", appauthor=False))


class SingleInstance:
    def __init__(self, folder: Path | None = None) -> None:
        self.path = (folder or data_root()) / LOCK_NAME
        self._lock: QLockFile | None = None

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning / InstanceLockError; nothing else is touched."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InstanceLockError(error.errno, f"{self.path.parent}: {error.strerror or error}") from None
        lock = QLockFile(str(self.path))
        # Age alone must never make a lock stale: a client runs for a whole day. Only a dead owner does.
        lock.setStaleLockTime(0)
        if lock.tryLock(0):
            self._lock = lock
            return
        if lock.error() == QLockFile.LockError.LockFailedError:
            # tryLock already took over a lock whose process is gone; this one's owner is alive.
            raise AlreadyRunning(str(self.path))
        raise InstanceLockError(0, f"cannot create {self.path} ({lock.error().name})")

    @property
    def held(self) -> bool:
        return self._lock is not None and self._lock.isLocked()

    def release(self) -> None:
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None
