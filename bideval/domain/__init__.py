"""The evaluation domain: plain Python, no Qt, no gRPC, no SQL."""
