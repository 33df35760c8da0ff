"""bideval-admin: PKI, credentials, session import, demo, audit."""
