"""Two people logging in on the same PC: each opens only their own session cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.cache import SessionCache
from app.services.session_start import open_session, person_cache_directory
from bideval.identity.credential import UnlockedCredential, unlock_credential, write_credential
from bideval.identity.pki import Role, cert_from_pem, key_from_pem
from tests.support import RunningServer

PIN = "246810"


def unlocked(server: RunningServer, tmp_path: Path, person: str, role: Role) -> UnlockedCredential:
    cert_pem, key_pem = server.pki.person(person, role)
    path = tmp_path / f"{person}.bidcred"
    ca = server.pki.directory.ca_certificate()
    write_credential(path, cert_from_pem(cert_pem), key_from_pem(key_pem, None), ca, PIN)
    return unlock_credential(path, PIN)


def test_each_person_gets_their_own_cache(server: RunningServer, tmp_path: Path) -> None:
    expert = open_session(
        server.client("E01"), unlocked(server, tmp_path, "E01", Role.EXPERT), PIN, server.session_id
    )
    expert.engine.record("CheckIn", venue_id="V1")
    expert.close()
    supervisor = open_session(
        server.client("S01", Role.SUPERVISOR),
        unlocked(server, tmp_path, "S01", Role.SUPERVISOR),
        PIN,
        server.session_id,
    )
    try:
        # The supervisor's cache is new: E01's queued check-in is not in it and is never sent as S01's.
        assert supervisor.cache.person_id == "S01"
        assert supervisor.cache.device_state().last_sequence == 0
    finally:
        supervisor.close()
    assert SessionCache.exists(person_cache_directory("E01"), server.session_id)
    assert SessionCache.exists(person_cache_directory("S01"), server.session_id)


@pytest.mark.parametrize("person_id", ["", "..", "../E01", "a/b", "E01\x00"])
def test_a_person_id_that_cannot_name_a_folder_is_refused(person_id: str) -> None:
    with pytest.raises(ValueError, match="cannot name a folder"):
        person_cache_directory(person_id)
