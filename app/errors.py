"""The one place where failures become what the user reads (transport, credential, domain).

The texts are Chinese source strings, translated through ``QCoreApplication.translate("errors", …)``; the
table below holds ``QT_TRANSLATE_NOOP`` markers and is translated where a text is returned.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import cast

from PySide6 import QtCore
from PySide6.QtCore import QCoreApplication

# The exception classes (grpc, the cache with SQLCipher, the credential with cryptography, the documents) are
# imported inside the functions: the login window imports this module before its first paint, which must
# not wait for them; errors are described later, when those modules are mostly loaded anyway.

# Trailing metadata the server sets when it refuses an outdated client (its message is already for users).
REQUIRED_VERSION_TRAILER = "x-bideval-required-client-version"
_DISK_FULL = ("disk is full", "no space left")
_READ_ONLY = ("readonly database", "read-only file system")

QT_TRANSLATE_NOOP = cast(Callable[[str, str], str], QtCore.QT_TRANSLATE_NOOP)
"""Marks a table's text for lupdate (typed: PySide6's stub says ``object``); translated where shown."""

_STATUS_TEXT = {
    # Keyed by grpc.StatusCode's name, so that building the table needs no grpc.
    "UNAVAILABLE": QT_TRANSLATE_NOOP("errors", "无法连接评标服务器，请检查网络或服务器地址"),
    "DEADLINE_EXCEEDED": QT_TRANSLATE_NOOP("errors", "服务器响应超时，稍后自动重试"),
    "UNAUTHENTICATED": QT_TRANSLATE_NOOP("errors", "身份认证失败"),
    "PERMISSION_DENIED": QT_TRANSLATE_NOOP("errors", "无权执行此操作"),
    "FAILED_PRECONDITION": QT_TRANSLATE_NOOP("errors", "当前步骤不允许此操作"),
    "INVALID_ARGUMENT": QT_TRANSLATE_NOOP("errors", "输入有误"),
    "NOT_FOUND": QT_TRANSLATE_NOOP("errors", "未找到"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("errors", text)


def _describe_setup(error: BaseException) -> str | None:
    """Room configuration, local disk and connection-test failures (install-time faults)."""
    import grpc

    from app.room_config import (
        CaFileError,
        ConnectionCheckError,
        CredentialCaMismatch,
        RoomConfigError,
        RoomConfigNotWritable,
    )
    from app.services.cache import CacheCorrupt, CacheError, CacheLocked, CacheMissing
    from bideval.identity.credential import CredentialError

    if isinstance(error, (grpc.RpcError, CredentialError)):
        return None  # a server's "disk is full" is not this PC's
    if isinstance(error, CredentialCaMismatch):
        return _tr("凭证与本考场配置的平台证书不一致，请联系考场工作人员：") + str(error)
    if isinstance(error, RoomConfigNotWritable):
        return _tr("无法保存考场配置，请以管理员身份运行配置程序：") + str(error)
    if isinstance(error, CaFileError):
        return _tr("平台根证书文件有误：") + str(error)
    if isinstance(error, RoomConfigError):
        return _tr("考场配置有误，请联系考场工作人员：") + str(error)
    if isinstance(error, ConnectionCheckError):
        if error.unreachable:
            return _tr("无法连接评标服务器，请检查网络或服务器地址：") + str(error)
        return _tr("服务器证书与平台根证书不符：") + str(error)
    text = str(error).lower()
    if (isinstance(error, OSError) and error.errno == errno.ENOSPC) or any(m in text for m in _DISK_FULL):
        return _tr("磁盘空间不足，已录入的内容未丢失；请联系考场工作人员清理磁盘：") + str(error)
    if (isinstance(error, OSError) and error.errno in (errno.EROFS, errno.EACCES, errno.EPERM)) or any(
        m in text for m in _READ_ONLY
    ):
        return _tr("数据目录不可写，请联系考场工作人员：") + str(error)
    if isinstance(error, OSError):
        return _tr("无法读写本地文件：") + str(error)
    if isinstance(error, CacheLocked):
        return _tr("PIN 码错误，无法打开本地缓存")
    if isinstance(error, CacheCorrupt):
        # Left exactly as found (never repaired or deleted): staff can inspect it, the server has what synced.
        return _tr("本地缓存已损坏，文件已原样保留，请联系考场工作人员：") + str(error)
    if isinstance(error, CacheMissing):
        return _tr("本机没有该场次的本地缓存")
    if isinstance(error, CacheError):
        return _tr("本地缓存出错：") + str(error)  # the cache's own words say which operation failed
    return None


def describe(error: BaseException) -> str:
    import grpc

    from app.services.documents import DocumentError
    from bideval.identity.credential import CorruptCredential, CredentialError, WrongPin

    if isinstance(error, DocumentError):
        return str(error)  # written for the user already (app/services/documents.py)
    setup = _describe_setup(error)
    if setup is not None:
        return setup
    if isinstance(error, WrongPin):
        return _tr("PIN 码错误")
    if isinstance(error, CorruptCredential):
        return _tr("凭证文件已损坏，请联系交易中心：") + str(error)
    if isinstance(error, CredentialError):
        return _tr("无法读取凭证文件：") + str(error)
    if isinstance(error, grpc.RpcError):
        code = error.code()
        trailers = dict(error.trailing_metadata() or ()) if isinstance(error, grpc.Call) else {}
        if REQUIRED_VERSION_TRAILER in trailers:
            return error.details() or _tr("客户端版本过旧，请联系考场工作人员安装新版本")
        known = _STATUS_TEXT.get(code.name)
        headline = _tr(known) if known is not None else _tr("服务器错误（%1）").replace("%1", code.name)
        details = error.details() or ""
        return f"{headline}: {details}" if details and code is not grpc.StatusCode.UNAVAILABLE else headline
    return f"{type(error).__name__}: {error}"


def is_transient(error: BaseException) -> bool:
    """Failures the sync worker retries silently instead of showing."""
    import grpc

    return isinstance(error, grpc.RpcError) and error.code() in (
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    )
