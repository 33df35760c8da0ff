"""Qt item models over plain domain objects (no gRPC, no widgets)."""
