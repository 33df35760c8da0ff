"""The one place where failures become what the user reads (transport, credential, domain)."""

from __future__ import annotations

import grpc

from bideval.identity.credential import CorruptCredential, CredentialError, WrongPin

_STATUS_TEXT = {
    grpc.StatusCode.UNAVAILABLE: "无法连接评标服务器，请检查网络或服务器地址 (server unreachable)",
    grpc.StatusCode.DEADLINE_EXCEEDED: "服务器响应超时，稍后自动重试 (timed out)",
    grpc.StatusCode.UNAUTHENTICATED: "身份认证失败 (authentication failed)",
    grpc.StatusCode.PERMISSION_DENIED: "无权执行此操作 (not allowed)",
    grpc.StatusCode.FAILED_PRECONDITION: "当前步骤不允许此操作 (not allowed at this step)",
    grpc.StatusCode.INVALID_ARGUMENT: "输入有误 (invalid input)",
    grpc.StatusCode.NOT_FOUND: "未找到 (not found)",
}


def describe(error: BaseException) -> str:
    if isinstance(error, WrongPin):
        return "PIN 码错误 (wrong PIN)"
    if isinstance(error, CorruptCredential):
        return f"凭证文件已损坏，请联系交易中心 (credential file damaged): {error}"
    if isinstance(error, CredentialError):
        return f"无法读取凭证文件 (cannot read the credential): {error}"
    if isinstance(error, grpc.RpcError):
        code = error.code()
        headline = _STATUS_TEXT.get(code, f"服务器错误 ({code.name})")
        details = error.details() or ""
        return f"{headline}: {details}" if details and code is not grpc.StatusCode.UNAVAILABLE else headline
    return f"{type(error).__name__}: {error}"


def is_transient(error: BaseException) -> bool:
    """Failures the sync worker retries silently instead of showing."""
    return isinstance(error, grpc.RpcError) and error.code() in (
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    )
