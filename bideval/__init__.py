"""Code shared by the client (``app``) and the server (``server``): the generated API, the domain, identities."""

__version__ = "0.1.0"
