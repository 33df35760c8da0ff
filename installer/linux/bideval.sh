#!/bin/sh
# /usr/bin/bideval: start the frozen client installed in /opt/bideval (a wrapper rather than a symlink, so
# the bundle always finds its _internal/ folder next to the real executable).
exec /opt/bideval/bideval "$@"
