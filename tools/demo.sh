#!/usr/bin/env bash
# make demo: build the demo data directory once, serve it on loopback, let the demo committee walk the
# session in the terminal, then open the desktop client (when there is a screen).
set -euo pipefail
dir="${1:-.demo}"
port="${2:-50051}"
bin=.venv/bin
export BIDEVAL_PKI_PASSPHRASE="${BIDEVAL_PKI_PASSPHRASE:-bideval-demo-passphrase}"

"$bin/bideval-admin" demo --data-dir "$dir" --force
"$bin/bideval-server" --data-dir "$dir" --listen "127.0.0.1:$port" > "$dir/server.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$dir/server.out" 2>/dev/null && break
  kill -0 $server 2>/dev/null || { cat "$dir/server.out"; exit 1; }
  sleep 0.1
done
echo "server: 127.0.0.1:$port (log: $dir/logs/server.log)"
"$bin/python" -m app.walkthrough --address "127.0.0.1:$port" --credentials "$dir/credentials"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  "$bin/bideval" --server "127.0.0.1:$port" --credential "$dir/credentials/E01.bidcred"
else
  echo "no screen: skipping the desktop client (run: $bin/bideval --server 127.0.0.1:$port)"
fi
