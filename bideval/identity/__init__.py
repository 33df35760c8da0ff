"""Certificates, credentials and the caller's identity, shared by client, server and admin tool."""
