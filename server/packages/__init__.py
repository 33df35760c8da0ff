"""Session packages: the operator's import format (manifest + PDFs), its validation, and the demo package."""
