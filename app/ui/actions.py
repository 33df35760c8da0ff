"""Recording a window's actions local first, and hearing back what the server said about them.

:meth:`ActionRecorder.record` queues a change with ``SyncEngine.record`` (signed, stored in the encrypted
cache; no network, so the GUI thread may call it). The recorder remembers the change's sequence number and,
whenever :meth:`check_answers` is called (after each action and whenever the unsynced count drops), reads
the outbox off the GUI thread; each change the server acknowledged or refused is reported once through
:attr:`ActionRecorder.sig_answered`. A window thus shows a refusal with the server's own reason, and
re-enables what it disabled while the change was on its way.

A change may carry a ``tag`` (e.g. the score cell it writes) and an ``on_answered`` callback: the page that
recorded it hears its own answer (marks the cell synced, or red with the server's reason) without the window
having to know which page owns which change. The expert's and the supervisor's windows both record through
this class: there is one way to send a change and hear back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, Signal

from app.errors import describe
from app.operations import run_in_background
from app.services.cache import OutboxStatus
from app.services.sync import SyncEngine


@dataclass(frozen=True, slots=True)
class Answer:
    """The server's answer to one recorded change."""

    sequence: int
    rpc: str
    tag: object  # what the window passed to record(), e.g. a score cell
    refused: bool
    message: str  # the server's reason for a refusal, "" for an acknowledgement


def refusal_text(answer: Answer, where: str | None = None) -> str:
    """The notice for a refused change: what was refused (``where``, else the RPC) and the server's reason."""
    text = QCoreApplication.translate("ActionRecorder", "服务器未接受 %1: %2")
    return text.replace("%1", where or answer.rpc).replace("%2", answer.message)


AnswerCallback = Callable[[Answer], None]
"""Called on the GUI thread with the server's answer to the one change it was recorded with."""


class ActionRecorder(QObject):
    """Records changes through ``engine`` and reports the server's answers (see the module docstring)."""

    sig_answered = Signal(object)
    """Emitted on the GUI thread with an :class:`Answer` once the server acknowledged or refused a change."""
    sig_failed = Signal(str)
    """Emitted on the GUI thread with user text when a change could not be stored or answers not read."""

    def __init__(self, engine: SyncEngine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        # sequence -> (rpc, tag, callback) of the changes not answered yet
        self._sent: dict[int, tuple[str, object, AnswerCallback | None]] = {}
        self._checking = False
        self._check_again = False
        self._closed = False

    def record(
        self, rpc: str, tag: object = None, on_answered: AnswerCallback | None = None, /, **fields: object
    ) -> int | None:
        """Queue a change; its sequence number, or None (after ``sig_failed``) if the cache refused it.

        ``on_answered`` hears this change's answer, just before ``sig_answered`` announces it. The three are
        positional only, so that no field of the request can be taken for one of them."""
        try:
            sequence = self.engine.record(rpc, **fields)
        except Exception as error:  # noqa: BLE001 - the cache refused: shown, nothing was queued
            self.sig_failed.emit(describe(error))
            return None
        self._sent[sequence] = (rpc, tag, on_answered)
        self.check_answers()
        return sequence

    def pending(self, rpc: str | None = None) -> int:
        """How many recorded changes (of ``rpc``, or of any) still wait for the server's answer."""
        return sum(1 for sent_rpc, _tag, _callback in self._sent.values() if rpc is None or sent_rpc == rpc)

    def in_flight(self, sequence: int) -> bool:
        """True while the change with this sequence number has no answer from the server yet."""
        return sequence in self._sent

    @property
    def busy(self) -> bool:
        """True while an outbox read is in flight."""
        return self._checking

    def close(self) -> None:
        """Report nothing more (the window is closing)."""
        self._closed = True

    def check_answers(self) -> None:
        """Read the answers to the unanswered changes from the outbox (coalesced, off the GUI thread)."""
        if not self._sent or self._closed:
            return
        if self._checking:
            self._check_again = True
            return
        self._checking = True
        cache, wanted = self.engine.cache, list(self._sent)

        def read() -> dict[int, tuple[OutboxStatus, str]]:
            answers = {}
            for sequence in wanted:
                item = cache.outbox_item(sequence)
                if item is not None:
                    answers[sequence] = (item.status, item.error_message or "")
            return answers

        run_in_background(read, self._answers_read, self._answers_failed)

    def _answers_read(self, answers: dict[int, tuple[OutboxStatus, str]]) -> None:
        self._checking = False
        if self._closed:
            return
        for sequence, (status, message) in sorted(answers.items()):
            if status not in (OutboxStatus.ACKNOWLEDGED, OutboxStatus.REFUSED):
                continue
            rpc, tag, callback = self._sent.pop(sequence)
            refused = status is OutboxStatus.REFUSED
            answer = Answer(sequence, rpc, tag, refused, message if refused else "")
            if callback is not None:
                callback(answer)
            self.sig_answered.emit(answer)
        if self._check_again:
            self._check_again = False
            self.check_answers()

    def _answers_failed(self, error: BaseException) -> None:
        self._checking = False
        if not self._closed:
            self.sig_failed.emit(describe(error))
