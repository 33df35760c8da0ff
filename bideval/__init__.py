"""Code shared by the client (`app`) and the server (`server`): generated API, domain, identities."""

__version__ = "0.1.0"
