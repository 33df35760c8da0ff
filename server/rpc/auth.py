"""Authentication from the mTLS client certificate, and the authorization interceptor.

The TLS handshake has already proved the peer holds a key certified by the platform CA; here we read who
they are from the certificate, refuse revoked certificates, apply the policy table, and turn domain errors
raised by any handler into gRPC statuses. Every refusal is logged with the caller and the method.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import grpc
from cryptography import x509

from bideval.audit.envelope import ChainBroken, EnvelopeError, SignerMismatch
from bideval.domain.errors import DomainError, NotFound, PermissionDenied
from bideval.identity.pki import CertificateError, Identity, identity_from_certificate
from server.rpc.errors import status_for
from server.rpc.policy import PUBLIC_PREFIXES, rule_for

log = logging.getLogger(__name__)


class AuthenticationError(Exception):
    pass


# The client sends its version on every call; the server may require a minimum (docs/protocol.md).
CLIENT_VERSION_HEADER = "x-bideval-client-version"
# Trailing metadata on a version refusal: the client shows the message as is, it is written for staff.
REQUIRED_VERSION_TRAILER = "x-bideval-required-client-version"

# The PEP 440 subset our releases use: 1.2.3, 1.2.3rc1, 1.2.3.post1, 1.2.3.dev4, 1.2.3+local.
_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?(?:\.post(\d+))?(?:\.dev(\d+))?(?:\+[\w.]+)?$")
_PRE = {"a": 0, "b": 1, "rc": 2}
_NONE = 1 << 62  # sorts after any real number: "no dev part" comes after every dev release


def version_key(text: str) -> tuple[tuple[int, ...], tuple[int, int], int, int]:
    """A sortable key in PEP 440 order (1.0.dev1 < 1.0a1 < 1.0rc1 < 1.0 < 1.0.post1), else ValueError.

    Our own small parser rather than ``packaging``, which the server does not otherwise depend on.
    """
    match = _VERSION.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a version like 1.2.3")
    release_text, pre_kind, pre_number, post, dev = match.groups()
    release = tuple(int(part) for part in release_text.split("."))
    while len(release) > 1 and release[-1] == 0:
        release = release[:-1]  # 1.2 == 1.2.0
    if pre_kind is not None:
        pre = (_PRE[pre_kind], int(pre_number))
    elif dev is not None and post is None:
        pre = (-1, 0)  # 1.0.dev1 comes before 1.0a1
    else:
        pre = (3, 0)  # a final release
    return release, pre, int(post) if post is not None else -1, int(dev) if dev is not None else _NONE


def version_refusal(reported: str | None, minimum: str) -> str | None:
    """Why a client reporting ``reported`` may not call this server, or None when it may."""
    advice = "请联系考场工作人员安装新版本"
    if not reported:
        return (
            f"客户端未报告版本，服务器要求的最低版本为 {minimum}，{advice} "
            f"(the client sent no version; the minimum is {minimum}: install the new version)"
        )
    try:
        older = version_key(reported) < version_key(minimum)
    except ValueError:
        older = True  # a version we cannot read is not one we can vouch for
    if not older:
        return None
    return (
        f"客户端版本 {reported} 低于服务器要求的最低版本 {minimum}，{advice} "
        f"(client {reported} is older than the minimum {minimum}: install the new version)"
    )


# Refusals raised while handling a call that go into the audit log (policy refusals always do).
AUDITED_REFUSALS = (EnvelopeError, SignerMismatch, ChainBroken)


@lru_cache(maxsize=4096)
def _identity_from_pem(pem: bytes) -> Identity:
    return identity_from_certificate(x509.load_pem_x509_certificate(pem))


@lru_cache(maxsize=4096)
def _certificate_from_pem(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem)


def _peer_pem(context: grpc.ServicerContext) -> bytes:
    certificates = context.auth_context().get("x509_pem_cert")
    if not certificates:
        raise AuthenticationError("no client certificate: connect with your bideval credential")
    return bytes(certificates[0])


def caller_of(context: grpc.ServicerContext) -> Identity:
    """The identity in the peer's client certificate (verified against the CA by the TLS layer)."""
    try:
        return _identity_from_pem(_peer_pem(context))
    except CertificateError as error:
        raise AuthenticationError(str(error)) from error


def certificate_of(context: grpc.ServicerContext) -> x509.Certificate:
    """The peer's client certificate itself: the key that must have signed the caller's changes."""
    return _certificate_from_pem(_peer_pem(context))


class Gatekeeper(Protocol):
    """What the interceptor needs from the application: revocations and session membership."""

    def is_revoked(self, serial: int) -> bool: ...

    def check_participant(self, session_id: str, caller: Identity) -> None:
        """Raise NotFound for an unknown session, PermissionDenied for a non-participant."""

    def record_denial(self, caller: Identity | None, method: str, code: str, message: str) -> None:
        """Put a refused call into the audit log."""


@dataclass(frozen=True, slots=True)
class Denial:
    code: grpc.StatusCode
    message: str


def session_id_of(request: Any) -> str:
    meta = getattr(request, "meta", None)
    if meta is not None:
        return str(meta.session_id)
    return str(getattr(request, "session_id", ""))


class Authorizer:
    """The per-call checks of an authenticated caller, shared by the interceptor and the batch RPC.

    One implementation for both paths: a change sent inside ``SyncService.SendChanges`` is authorized,
    refused and audited exactly as the same change sent as its own unary call.
    """

    def __init__(self, gatekeeper: Gatekeeper) -> None:
        self._gatekeeper = gatekeeper

    def authorize(self, method: str, request: Any, caller: Identity) -> Denial | None:
        """Revocation, the policy rule of ``method`` and session membership; a denial is audited."""
        denial = self._check(method, request, caller)
        if denial is not None:
            self._gatekeeper.record_denial(caller, method, denial.code.name, denial.message)
        return denial

    def refusal(self, method: str, caller: Identity, error: DomainError) -> Denial:
        """The status of a domain error raised while handling ``method``, audited when it must be."""
        if isinstance(error, AUDITED_REFUSALS):
            # A forged, tampered or out-of-chain signature is an attack or a broken client: on the record.
            self._gatekeeper.record_denial(caller, method, status_for(error).name, str(error))
        return Denial(status_for(error), str(error))

    def _check(self, method: str, request: Any, caller: Identity) -> Denial | None:
        if self._gatekeeper.is_revoked(caller.serial):
            return Denial(
                grpc.StatusCode.UNAUTHENTICATED,
                f"certificate {caller.serial} of {caller.person_id} has been revoked; ask the trading centre",
            )
        rule = rule_for(method)
        if rule is None:
            return Denial(grpc.StatusCode.PERMISSION_DENIED, f"{method} is not in the authorization policy")
        if caller.role not in rule.roles:
            return Denial(
                grpc.StatusCode.PERMISSION_DENIED, f"role {caller.role.value} may not call {method}"
            )
        if rule.session_member:
            session_id = session_id_of(request)
            if not session_id:
                return Denial(grpc.StatusCode.INVALID_ARGUMENT, "session_id is required")
            try:
                self._gatekeeper.check_participant(session_id, caller)
            except (NotFound, PermissionDenied) as error:
                return Denial(status_for(error), str(error))
        return None


class AuthorizationInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]
    def __init__(self, gatekeeper: Gatekeeper, min_client_version: str | None = None) -> None:
        """``min_client_version``: refuse calls from clients reporting an older (or no) version."""
        if min_client_version is not None:
            version_key(min_client_version)  # a typo in the server's setting fails at start, not per call
        self._gatekeeper = gatekeeper
        self._authorizer = Authorizer(gatekeeper)
        self._min_client_version = min_client_version

    def authorize(self, method: str, request: Any, context: grpc.ServicerContext) -> Denial | None:
        try:
            caller = caller_of(context)
        except AuthenticationError as error:
            self._gatekeeper.record_denial(None, method, "UNAUTHENTICATED", str(error))
            return Denial(grpc.StatusCode.UNAUTHENTICATED, str(error))
        denial = self._check_version(context)
        if denial is not None:
            self._gatekeeper.record_denial(caller, method, denial.code.name, denial.message)
            return denial
        return self._authorizer.authorize(method, request, caller)

    def _check_version(self, context: grpc.ServicerContext) -> Denial | None:
        if self._min_client_version is None:
            return None
        reported = dict(context.invocation_metadata() or ()).get(CLIENT_VERSION_HEADER)
        refusal = version_refusal(reported, self._min_client_version)
        if refusal is None:
            return None
        context.set_trailing_metadata(((REQUIRED_VERSION_TRAILER, self._min_client_version),))
        return Denial(grpc.StatusCode.FAILED_PRECONDITION, refusal)

    def intercept_service(
        self, continuation: Callable[[Any], Any], handler_call_details: grpc.HandlerCallDetails
    ) -> Any:
        handler = continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or method.startswith(PUBLIC_PREFIXES):
            return handler
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._guard_unary(method, handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._guard_stream(method, handler.unary_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler  # no client-streaming RPCs exist in bideval.v1

    def _deny(self, method: str, context: grpc.ServicerContext, denial: Denial) -> None:
        log.warning("refused %s from %s: %s %s", method, context.peer(), denial.code.name, denial.message)
        context.abort(denial.code, denial.message)

    def _refuse(self, method: str, context: grpc.ServicerContext, error: DomainError) -> None:
        self._deny(method, context, self._authorizer.refusal(method, caller_of(context), error))

    def _internal(self, method: str, context: grpc.ServicerContext) -> None:
        """A bug, not a refusal: log it in full, tell the client only that it happened and where to look."""
        if context.code() is not None:
            return  # the handler aborted with a status of its own; let that through
        incident = uuid.uuid4().hex[:12]
        log.exception("internal error %s in %s from %s", incident, method, context.peer())
        context.abort(grpc.StatusCode.INTERNAL, f"internal server error, logged as incident {incident}")

    def _guard_unary(self, method: str, behavior: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            denial = self.authorize(method, request, context)
            if denial is not None:
                self._deny(method, context, denial)
            try:
                return behavior(request, context)
            except DomainError as error:
                self._refuse(method, context, error)
            except Exception:
                self._internal(method, context)
                raise

        return guarded

    def _guard_stream(
        self, method: str, behavior: Callable[[Any, Any], Iterator[Any]]
    ) -> Callable[[Any, Any], Iterator[Any]]:
        def guarded(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            denial = self.authorize(method, request, context)
            if denial is not None:
                self._deny(method, context, denial)
            try:
                yield from behavior(request, context)
            except DomainError as error:
                self._refuse(method, context, error)
            except Exception:
                self._internal(method, context)
                raise

        return guarded
