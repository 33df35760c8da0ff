"""Authentication from the mTLS client certificate, and the authorization interceptor.

The TLS handshake has already proved the peer holds a key certified by the platform CA; here we read who
they are from the certificate, refuse revoked certificates, apply the policy table, and turn domain errors
raised by any handler into gRPC statuses. Every refusal is logged with the caller and the method.
"""

from __future__ import annotations

import logging
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


class AuthorizationInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]
    def __init__(self, gatekeeper: Gatekeeper) -> None:
        self._gatekeeper = gatekeeper

    def authorize(self, method: str, request: Any, context: grpc.ServicerContext) -> Denial | None:
        try:
            caller = caller_of(context)
        except AuthenticationError as error:
            self._gatekeeper.record_denial(None, method, "UNAUTHENTICATED", str(error))
            return Denial(grpc.StatusCode.UNAUTHENTICATED, str(error))
        denial = self._authorize(method, request, caller)
        if denial is not None:
            self._gatekeeper.record_denial(caller, method, denial.code.name, denial.message)
        return denial

    def _authorize(self, method: str, request: Any, caller: Identity) -> Denial | None:
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
        if isinstance(error, AUDITED_REFUSALS):
            # A forged, tampered or out-of-chain signature is an attack or a broken client: on the record.
            self._gatekeeper.record_denial(caller_of(context), method, status_for(error).name, str(error))
        self._deny(method, context, Denial(status_for(error), str(error)))

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
