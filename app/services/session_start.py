"""Opening a session on this PC: the encrypted cache, the signing sequencer, the witness and the sync engine.

Runs on a worker thread (the cache's key derivation from the PIN is deliberately slow).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from app.services.cache import CacheConflict, SessionCache
from app.services.connection import ApiClient, Sequencer
from app.services.sync import SyncEngine
from app.services.witness import LogWitness
from app.single_instance import data_root
from bideval.audit.signing import SoftwareSigner
from bideval.identity.credential import UnlockedCredential
from bideval.identity.pki import Role, cert_from_pem


def cache_directory() -> Path:
    return data_root() / "sessions"


_SAFE_PERSON_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def person_cache_directory(person_id: str) -> Path:
    """Each person's caches in their own folder: a supervisor or a replacement expert logging in on the same
    PC must never open (and send) another person's changes, even with the same PIN."""
    if not _SAFE_PERSON_ID.fullmatch(person_id) or person_id in (".", ".."):
        raise ValueError(f"person id {person_id!r} cannot name a folder")
    return cache_directory() / person_id


@dataclass
class OpenedSession:
    client: ApiClient
    cache: SessionCache
    engine: SyncEngine
    session_id: str

    def close(self) -> None:
        self.engine.stop(timeout=10)
        self.cache.close()
        self.client.close()


def open_session(client: ApiClient, unlocked: UnlockedCredential, pin: str, session_id: str) -> OpenedSession:
    """Open (or create) this session's cache and start syncing it through ``client``'s channel."""
    identity = unlocked.identity
    directory = person_cache_directory(identity.person_id)
    directory.mkdir(parents=True, exist_ok=True)
    if SessionCache.exists(directory, session_id):
        cache = SessionCache.open(directory, session_id, pin)
        if cache.person_id != identity.person_id:
            cache.close()
            owner = cache.person_id
            raise CacheConflict(f"{directory}: this cache belongs to {owner}, not {identity.person_id}")
    else:
        # A fresh device id per cache: the server numbers each device's changes from 1.
        device_id = f"{identity.person_id}-{uuid.uuid4().hex[:12]}"
        cache = SessionCache.create(directory, session_id, identity.person_id, device_id, pin)
    signer = SoftwareSigner(cert_from_pem(unlocked.cert_pem), unlocked.private_key)
    client.sequencer = Sequencer(cache.device_id, signer, *cache.device_state())
    cosigner = signer if identity.role is Role.SUPERVISOR else None
    client.witness = LogWitness(client.audit, cert_from_pem(unlocked.ca_pem), cosigner, cache.tree_head())
    engine = SyncEngine(cache, client, session_id)
    engine.start()
    return OpenedSession(client, cache, engine, session_id)
