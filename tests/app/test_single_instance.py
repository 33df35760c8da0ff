"""One client per user: a second start says so and leaves the running client's cache alone; a lock left by
a crashed client is taken over. The other client is a real process holding a real lock file."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

import app.main
from app.single_instance import LOCK_NAME, AlreadyRunning, InstanceLockError, SingleInstance

HOLDER = """
import sys
from PySide6.QtCore import QCoreApplication, QLockFile
application = QCoreApplication([])
lock = QLockFile(sys.argv[1])
lock.setStaleLockTime(0)
print("locked" if lock.tryLock(0) else "busy", flush=True)
sys.stdin.read()  # hold the lock until the test closes stdin or kills us
"""


def start_holder(folder: Path) -> subprocess.Popen[str]:
    folder.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder / LOCK_NAME)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def kill(holder: subprocess.Popen[str]) -> None:
    """SIGKILL, as in a crash: the process gets no chance to remove its lock file."""
    holder.kill()
    holder.communicate(timeout=30)  # reaps it and closes our ends of its pipes


@pytest.fixture
def running_client(client_data_dir: Path) -> Iterator[subprocess.Popen[str]]:
    """Another client of the same user, alive."""
    holder = start_holder(client_data_dir)
    yield holder
    kill(holder)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(folder)): (path.stat().st_mtime_ns, path.stat().st_size)
        for path in sorted(folder.rglob("*"))
    }


def test_a_second_start_says_so_and_touches_nothing(
    qtbot: QtBot,
    running_client: subprocess.Popen[str],
    client_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sessions = client_data_dir / "sessions"
    sessions.mkdir()
    (sessions / "S1.db").write_bytes(b"cache of the running client")
    before = snapshot(client_data_dir)
    shown: list[str] = []
    monkeypatch.setattr(app.main, "show_message", lambda _title, text: shown.append(text))
    assert app.main.main([]) == 0
    assert len(shown) == 1
    assert "评标客户端已在运行" in shown[0]
    assert snapshot(client_data_dir) == before
    assert running_client.poll() is None


def test_the_lock_refuses_while_the_other_client_lives(
    qtbot: QtBot, running_client: subprocess.Popen[str], client_data_dir: Path
) -> None:
    with pytest.raises(AlreadyRunning):
        SingleInstance(client_data_dir).acquire()


def test_a_crashed_clients_lock_is_taken_over(qtbot: QtBot, client_data_dir: Path) -> None:
    holder = start_holder(client_data_dir)
    kill(holder)
    assert (client_data_dir / LOCK_NAME).exists()
    instance = SingleInstance(client_data_dir)
    instance.acquire()
    assert instance.held
    instance.release()


def test_the_same_process_cannot_take_it_twice_and_release_frees_it(
    qtbot: QtBot, client_data_dir: Path
) -> None:
    first = SingleInstance(client_data_dir)
    first.acquire()
    with pytest.raises(AlreadyRunning):
        SingleInstance(client_data_dir).acquire()
    first.release()
    second = SingleInstance(client_data_dir)
    second.acquire()
    assert second.held
    second.release()


def test_an_unusable_data_folder_is_a_message_not_a_crash(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file where the folder should be: refused for root too (mode bits would not stop root).
    blocker = tmp_path / "data"
    blocker.write_text("")
    monkeypatch.setenv("BIDEVAL_CLIENT_DATA", str(blocker / "bideval"))
    with pytest.raises(InstanceLockError):
        SingleInstance().acquire()
    shown: list[str] = []
    monkeypatch.setattr(app.main, "show_message", lambda _title, text: shown.append(text))
    assert app.main.main([]) == 1
    assert len(shown) == 1
    assert str(blocker) in shown[0]
    assert "本地文件" in shown[0] or "不可写" in shown[0]
