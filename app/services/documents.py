"""The session's documents on this client: listed once, downloaded once, kept encrypted, readable offline.

:class:`DocumentLibrary` sits between the server (``ListDocuments``, ``DownloadDocument``) and the
:class:`~app.services.cache.SessionCache`:

* the server's document list is stored in the cache (meta key ``document_list``, JSON), so the list, and
  every document already downloaded, is there after a restart without the network;
* a download streams 256 KiB chunks straight into the cache (SQLCipher pages: nothing lands on disk in
  clear) and resumes from the cache's ``document_progress`` after a broken link or a cancel;
* the cache checks the assembled bytes against the listed SHA-256; the library also refuses a stream whose
  announced SHA-256 or size differs from the list (the document changed on the server).

Every method may touch the network or the disk: call them on worker threads only
(:func:`~app.operations.run_in_background`). The class holds no Qt object, so it is thread-agnostic; the
per-document "hash mismatch" flags it keeps are guarded by a lock.

Page references (``Criterion.page_refs``, docs/session-package.md) are ``"<document id>:<page>"``, e.g.
``"tender:5"`` or ``"bid-B03:12"``. :func:`resolve_page_ref` also accepts ``"bidder:B03:12"`` (the bid of
bidder B03) and a document *kind* in place of the id (``"bid:12"`` = the bid of the bidder in question,
``"opening_record:1"``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum

import grpc

from app.services.cache import CacheCorrupt, DocumentProgress, SessionCache
from app.services.connection import ApiClient
from bideval.v1 import evaluation_service_pb2, session_pb2

DOCUMENT_LIST_META = "document_list"
_LIST_FORMAT = 1
# A whole-stream deadline must allow for slow remote venues: the base timeout plus 1 s per 64 KiB
# (a 100 MB bid may then take ~27 min on a 64 KiB/s link before it is retried from where it stopped).
_BYTES_PER_SECOND_FLOOR = 64 * 1024

KIND_ORDER = ("tender", "opening_record", "bid", "clarification")
"""The order documents are listed and downloaded in: what every expert reads first comes first."""


class DocumentError(Exception):
    """A document cannot be shown or downloaded; the message is meant for the user (Chinese)."""


class DocumentNotDownloaded(DocumentError):
    """The document is not (completely) in the local cache yet."""


class DocumentMismatch(DocumentError):
    """The bytes do not match the document's SHA-256: refused, never shown."""


class DocumentChanged(DocumentError):
    """The server announces another SHA-256 or size than the list: the list must be fetched again."""


class DownloadCancelled(DocumentError):
    """``cancelled()`` said stop; what was received so far stays in the cache for resuming."""


class PageRefError(DocumentError, ValueError):
    """A page reference names no document of the session, or is malformed."""


class DocumentState(StrEnum):
    MISSING = "missing"  # nothing received
    PARTIAL = "partial"  # some bytes received (an interrupted download)
    READY = "ready"  # complete and verified
    MISMATCH = "mismatch"  # the last download or read failed the SHA-256 check


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """One entry of the session's document list (session.proto ``Document``)."""

    id: str
    kind: str
    title: str
    sha256: str
    size: int
    bidder_id: str = ""
    pages: int = 0

    @classmethod
    def from_proto(cls, document: session_pb2.Document) -> DocumentInfo:
        return cls(
            id=document.id,
            kind=document.kind,
            title=document.title,
            sha256=document.sha256.lower(),
            size=int(document.size),
            bidder_id=document.bidder_id,
            pages=int(document.pages),
        )


@dataclass(frozen=True, slots=True)
class DocumentList:
    documents: tuple[DocumentInfo, ...]
    offline: bool  # True: the server was unreachable and this is the list stored in the cache
    error: str = ""  # why the server's list could not be fetched (when offline)

    def get(self, document_id: str) -> DocumentInfo | None:
        return next((d for d in self.documents if d.id == document_id), None)


def ordered(documents: Iterable[DocumentInfo]) -> list[DocumentInfo]:
    """Tender, opening record, bids by bidder, clarifications; anything unknown last, by id."""

    def key(document: DocumentInfo) -> tuple[int, str, str]:
        rank = KIND_ORDER.index(document.kind) if document.kind in KIND_ORDER else len(KIND_ORDER)
        return rank, document.bidder_id, document.id

    return sorted(documents, key=key)


def resolve_page_ref(
    ref: str, documents: Sequence[DocumentInfo], bidder_id: str | None = None
) -> tuple[str, int]:
    """``(document_id, page)`` (page 1-based) of a page reference; PageRefError when it names nothing."""
    parts = ref.strip().split(":")
    try:
        page = int(parts[-1])
    except ValueError:
        raise PageRefError(f"页码引用格式错误: {ref}") from None
    if len(parts) < 2 or page < 1:
        raise PageRefError(f"页码引用格式错误: {ref}")
    head = parts[:-1]
    if len(head) == 2 and head[0] == "bidder":
        target = next((d for d in documents if d.kind == "bid" and d.bidder_id == head[1]), None)
    elif len(head) == 1:
        name = head[0]
        target = next((d for d in documents if d.id == name), None)
        if target is None and name == "bid" and bidder_id:
            target = next((d for d in documents if d.kind == "bid" and d.bidder_id == bidder_id), None)
        elif target is None and name != "bid":
            target = next((d for d in documents if d.kind == name.replace("-", "_")), None)
    else:
        target = None
    if target is None:
        raise PageRefError(f"页码引用 {ref} 未对应本场次的任何文件")
    if target.pages and page > target.pages:
        raise PageRefError(f"页码引用 {ref} 超出该文件的页数 ({target.pages} 页)")
    return target.id, page


def _is_transient(error: grpc.RpcError) -> bool:
    return error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


class DocumentLibrary:
    """The documents of one session for one expert (see the module docstring). Worker threads only."""

    def __init__(self, cache: SessionCache, client: ApiClient, session_id: str) -> None:
        self.cache = cache
        self.client = client
        self.session_id = session_id
        self._lock = threading.Lock()
        self._mismatched: set[str] = set()
        self._list: DocumentList | None = None

    # -- the list --------------------------------------------------------------------------------------

    def list_documents(self) -> DocumentList:
        """The server's list (stored in the cache for later), or the stored one when the server is
        unreachable. Raises the RpcError when it is unreachable and nothing was ever stored."""
        try:
            response: evaluation_service_pb2.ListDocumentsResponse = self.client.evaluation.ListDocuments(
                evaluation_service_pb2.ListDocumentsRequest(session_id=self.session_id),
                timeout=self.client.timeout,
            )
        except grpc.RpcError as error:
            if not _is_transient(error):
                raise
            stored = self.cached_list()
            if stored is None:
                raise
            listed = DocumentList(stored, offline=True, error=str(error.code().name))
        else:
            documents = tuple(ordered(DocumentInfo.from_proto(d) for d in response.documents))
            self._store_list(documents)
            listed = DocumentList(documents, offline=False)
        with self._lock:
            self._list = listed
        return listed

    def cached_list(self) -> tuple[DocumentInfo, ...] | None:
        """The list last fetched from the server, from the cache (None if it was never fetched)."""
        text = self.cache.get_meta(DOCUMENT_LIST_META)
        if text is None:
            return None
        stored = json.loads(text)
        if stored.get("format") != _LIST_FORMAT:
            return None  # written by another client version: fetch it again when online
        return tuple(DocumentInfo(**entry) for entry in stored["documents"])

    def _store_list(self, documents: Sequence[DocumentInfo]) -> None:
        value = {"format": _LIST_FORMAT, "documents": [asdict(d) for d in documents]}
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        if self.cache.get_meta(DOCUMENT_LIST_META) != text:
            self.cache.set_meta(DOCUMENT_LIST_META, text)

    def info(self, document_id: str) -> DocumentInfo:
        with self._lock:
            listed = self._list
        found = listed.get(document_id) if listed is not None else None
        if found is None:
            found = next((d for d in self.cached_list() or () if d.id == document_id), None)
        if found is None:
            raise DocumentError(f"本场次没有文件 {document_id}")
        return found

    # -- state -----------------------------------------------------------------------------------------

    def state(self, document: DocumentInfo) -> tuple[DocumentState, int]:
        """The document's local state and how many bytes are in the cache."""
        with self._lock:
            if document.id in self._mismatched:
                return DocumentState.MISMATCH, 0
        progress = self.cache.document_progress(document.id)
        if progress is None or (progress.sha256, progress.size) != (document.sha256, document.size):
            return DocumentState.MISSING, 0
        if progress.complete:
            return DocumentState.READY, progress.size
        return (DocumentState.PARTIAL if progress.received else DocumentState.MISSING), progress.received

    def states(self, documents: Iterable[DocumentInfo]) -> dict[str, tuple[DocumentState, int]]:
        return {document.id: self.state(document) for document in documents}

    # -- downloading -----------------------------------------------------------------------------------

    def download(
        self,
        document_id: str,
        progress: Callable[[int, int], None],
        cancelled: Callable[[], bool],
    ) -> DocumentProgress:
        """Download the document into the cache, resuming where the cache stopped.

        ``progress(received, size)`` is called after each stored chunk (on this worker thread);
        ``cancelled()`` is polled between chunks. Raises DownloadCancelled, DocumentMismatch (the
        received chunks were discarded: the next download starts from 0), DocumentChanged, or the
        RpcError of a broken link (what was received stays: the next download resumes).
        """
        info = self.info(document_id)
        current = self.cache.document_progress(document_id)
        if current is not None and (current.sha256, current.size) != (info.sha256, info.size):
            # The cache holds an older version of the document: it can never complete, start over.
            self.cache.drop_document(document_id)
            current = None
        if current is not None and current.complete:
            progress(current.size, current.size)
            return current
        received = 0 if current is None else current.received
        progress(received, info.size)
        if info.size == 0 or received == info.size:
            # Nothing left to stream (an empty file): an empty write completes and checks it.
            return self._write(info, received, b"")
        timeout = self.client.timeout + (info.size - received) / _BYTES_PER_SECOND_FLOOR
        request = evaluation_service_pb2.DownloadDocumentRequest(
            session_id=self.session_id, document_id=document_id, offset=received
        )
        stream = self.client.evaluation.DownloadDocument(request, timeout=timeout)
        result: DocumentProgress | None = None
        try:
            for chunk in stream:
                if cancelled():
                    raise DownloadCancelled(f"已取消下载 {info.title}")
                if chunk.sha256.lower() != info.sha256 or chunk.total_size != info.size:
                    raise DocumentChanged(f"文件「{info.title}」在服务器上已变更，请刷新文件列表后重新下载")
                if chunk.offset != received:
                    raise DocumentError(
                        f"文件「{info.title}」传输错误 (offset {chunk.offset}, expected {received})"
                    )
                result = self._write(info, received, chunk.data)
                received = result.received
                progress(received, info.size)
                if result.complete:
                    break
        finally:
            stream.cancel()  # a no-op once the stream ended; stops the server otherwise
        if result is None or not result.complete:
            raise DocumentError(f"文件「{info.title}」未下载完整 ({received}/{info.size} 字节)，将继续下载")
        return result

    def _write(self, info: DocumentInfo, offset: int, data: bytes) -> DocumentProgress:
        try:
            written = self.cache.write_document_chunk(info.id, offset, data, info.sha256, info.size)
        except CacheCorrupt:
            with self._lock:
                self._mismatched.add(info.id)
            raise DocumentMismatch(self._mismatch_text(info)) from None
        with self._lock:
            self._mismatched.discard(info.id)
        return written

    # -- reading ---------------------------------------------------------------------------------------

    def read(self, document_id: str) -> bytes:
        """The verified bytes of a downloaded document (DocumentNotDownloaded, DocumentMismatch)."""
        info = self.info(document_id)
        progress = self.cache.document_progress(document_id)
        if progress is None or not progress.complete:
            raise DocumentNotDownloaded(f"文件「{info.title}」尚未下载完成")
        if progress.sha256 != info.sha256:
            with self._lock:
                self._mismatched.add(document_id)
            raise DocumentMismatch(self._mismatch_text(info))
        try:
            data = self.cache.document_bytes(document_id)
        except CacheCorrupt:
            with self._lock:
                self._mismatched.add(document_id)
            raise DocumentMismatch(self._mismatch_text(info)) from None
        if data is None:
            raise DocumentNotDownloaded(f"文件「{info.title}」尚未下载完成")
        return data

    def discard(self, document_id: str) -> None:
        """Drop a document from the cache (after a mismatch) so the next download starts afresh."""
        self.cache.drop_document(document_id)
        with self._lock:
            self._mismatched.discard(document_id)

    @staticmethod
    def _mismatch_text(info: DocumentInfo) -> str:
        return (
            f"文件「{info.title}」校验失败：内容与 SHA-256 指纹 {info.sha256[:16]}… 不一致，已拒绝打开。"
            "请勿依据此文件评审；请重新下载，仍失败时联系项目负责人。"
        )
