"""Domain errors. The RPC layer maps each class to one gRPC status code, in one place."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses; the message is shown to the user, so it says what to do."""


class InvalidArgument(DomainError):
    """Malformed or out-of-range input: a score off the step grid, a missing reason, an unknown kind."""


class NotFound(DomainError):
    """An unknown session, bidder, criterion, member or document id."""


class FailedPrecondition(DomainError):
    """The request is well-formed but not allowed now: wrong phase, paused session, already submitted."""


class PermissionDenied(DomainError):
    """The caller's role or position (leader, member, recused) does not allow this."""


class Conflict(DomainError):
    """A reused operation id with different content, or a client sequence number out of order."""
