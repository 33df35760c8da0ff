"""Generated from proto/bideval/v1 by tools/genproto.py; do not edit."""
