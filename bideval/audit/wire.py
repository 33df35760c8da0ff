"""Tree heads on the wire: the one conversion client and server share (the API's ``TreeHead`` message)."""

from __future__ import annotations

from datetime import UTC

from google.protobuf.timestamp_pb2 import Timestamp

from bideval.audit.entries import TreeHead
from bideval.v1 import common_pb2


def tree_head_to_proto(head: TreeHead) -> common_pb2.TreeHead:
    stamp = Timestamp()
    stamp.FromDatetime(head.timestamp)
    return common_pb2.TreeHead(
        tree_size=head.tree_size,
        root_hash=head.root_hash,
        timestamp=stamp,
        signature=head.signature,
        signature_algorithm=head.algorithm,
    )


def tree_head_from_proto(head: common_pb2.TreeHead) -> TreeHead:
    # The signed bytes carry the time with microseconds and a UTC offset; the proto round-trips both.
    return TreeHead(
        tree_size=head.tree_size,
        root_hash=head.root_hash,
        timestamp=head.timestamp.ToDatetime(tzinfo=UTC),
        signature=head.signature,
        algorithm=head.signature_algorithm,
    )
