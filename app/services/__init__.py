"""Client services: the gRPC connection, the local cache and the sync worker. No widgets here."""
