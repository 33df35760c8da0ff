"""Widgets and windows. They use models, the operation helper and client-service interfaces only."""
