"""The tamper-evident audit log and everything needed to verify it offline."""
