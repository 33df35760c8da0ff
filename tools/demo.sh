#!/usr/bin/env bash
# make demo: build the demo data directory, serve it on loopback, then
#  - with a screen: open the desktop client as expert E01 while the other experts and supervisor S01 are
#    simulated (python -m app.demo_committee) and follow what E01 does, up to the ranking and the report;
#  - without a screen: let the demo committee walk the whole session in the terminal (app.walkthrough).
set -euo pipefail
dir="${1:-.demo}"
port="${2:-50051}"
pin="123456"  # the PIN of every demo credential (bideval-admin demo --pin's default)
me="E01"
bin=.venv/bin
export BIDEVAL_PKI_PASSPHRASE="${BIDEVAL_PKI_PASSPHRASE:-bideval-demo-passphrase}"

"$bin/bideval-admin" demo --data-dir "$dir" --force --pin "$pin"
"$bin/bideval-server" --data-dir "$dir" --listen "127.0.0.1:$port" > "$dir/server.out" 2>&1 &
server=$!
committee=""
cleanup() {
  # The committee first (it talks to the server), then the server; each by its own process id.
  if [ -n "$committee" ]; then
    kill "$committee" 2>/dev/null || true
    wait "$committee" 2>/dev/null || true
  fi
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$dir/server.out" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$dir/server.out"; exit 1; }
  sleep 0.1
done
echo "server: 127.0.0.1:$port (log: $dir/logs/server.log)"

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "no screen: the demo committee walks the session in the terminal"
  "$bin/python" -m app.walkthrough --address "127.0.0.1:$port" --credentials "$dir/credentials" --pin "$pin"
  echo "with a screen, make demo opens the client as $me (or run: $bin/bideval --server 127.0.0.1:$port" \
    "--credential $dir/credentials/$me.bidcred)"
  exit 0
fi

cat <<EOF

演示: 您是评标专家 $me（刘建华）。其他专家 E02–E05 和监督人员 S01 由程序模拟，跟随您的操作，
每个操作显示在本终端。
  1. 在登录窗口使用凭证 $dir/credentials/$me.bidcred，PIN: $pin
  2. 签到 → 承诺书（倒计时结束后确认）→ 回避声明 → 推选组长（其他专家推选您为组长）
  3. 作为组长申请开始；监督人员批准后进行初步评审、详细评审；汇总后确定排名，最后签署评标报告

EOF
"$bin/python" -u -m app.demo_committee --address "127.0.0.1:$port" --credentials "$dir/credentials" \
  --me "$me" --pin "$pin" &
committee=$!
"$bin/bideval" --server "127.0.0.1:$port" --credential "$dir/credentials/$me.bidcred"
