"""The one place where domain errors become gRPC status codes."""

from __future__ import annotations

import grpc

from bideval.domain import errors

_STATUS: tuple[tuple[type[errors.DomainError], grpc.StatusCode], ...] = (
    (errors.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (errors.Conflict, grpc.StatusCode.ALREADY_EXISTS),
)


def status_for(error: errors.DomainError) -> grpc.StatusCode:
    for error_class, code in _STATUS:
        if isinstance(error, error_class):
            return code
    return grpc.StatusCode.INTERNAL


def error_from_name(name: str, message: str) -> errors.DomainError:
    """Rebuild a stored error (a retried operation returns the first answer, errors included)."""
    for error_class, _code in _STATUS:
        if error_class.__name__ == name:
            return error_class(message)
    return errors.DomainError(message)
