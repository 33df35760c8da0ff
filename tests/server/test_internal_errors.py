"""A bug in a handler is logged in full and reaches the client only as INTERNAL with an incident id."""

from __future__ import annotations

import logging
from typing import Any

import grpc
import pytest

from bideval.v1 import evaluation_service_pb2
from tests.support import RunningServer


def test_unexpected_errors_become_internal_without_details(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(server.app, "read", broken)
    client = server.client("E01")
    with caplog.at_level(logging.ERROR), pytest.raises(grpc.RpcError) as failed:
        client.evaluation.GetSession(evaluation_service_pb2.GetSessionRequest(session_id=server.session_id))
    assert failed.value.code() is grpc.StatusCode.INTERNAL
    details = failed.value.details() or ""
    assert "incident" in details
    assert "secret" not in details
    incident = details.rsplit(" ", 1)[1]
    assert any(incident in record.getMessage() and record.exc_info for record in caplog.records)
