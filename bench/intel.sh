#!/usr/bin/env bash
# Intel matching at ingest speed (issue 15): `haboob hunt` on a simulated
# web log (~300,000 addresses, as bench/web.sh's `mid` case) without intel
# and with 1,000,000 indicators loaded (`--intel`), in the same run on the
# same warm page cache. The goal: with intel ≤ 1.25× the time without.
#
# Indicators (seeded, reproducible): 600,000 addresses (IPv4 and IPv6),
# 100,000 CIDRs (/8-/30, /32-/64 for IPv6), 200,000 domains, 80,000 URLs
# and 20,000 user agents; plus planted ones that appear in the data: the
# first 5 distinct addresses of the log and one of its user agents (their
# alerts are counted).
#
#   bench/intel.sh [BYTES] [DIR] [INDICATORS]
#        (defaults: 1000000000, /tmp/haboob-bench-intel, 1000000)
#
# Record results in BENCHMARKS.md with the machine and the command.
set -euo pipefail
cd "$(dirname "$0")/.."
bytes=${1:-1000000000}
dir=${2:-/tmp/haboob-bench-intel}
count=${3:-1000000}
bin=${CARGO_TARGET_DIR:-target}/release/haboob

cargo build --release --locked -q
mkdir -p "$dir"
file="$dir/access.log"
if [ ! -s "$file" ] || [ "$(stat -c %s "$file")" -lt $((bytes * 9 / 10)) ]; then
  rm -rf "$dir/sim"
  "$bin" simulate --scenario web-volume --bytes "$bytes" --seed 7 --sources 300000 --out "$dir/sim" 2> /dev/null
  mv "$dir/sim/access.log" "$file"
fi
size=$(stat -c %s "$file")
mb=$(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1e6 }')

# Planted: 5 addresses and 1 user agent of the log.
planted_ips=$(awk '!s[$1]++ { print $1; if (++n == 5) exit }' "$file")
planted_ua=$(awk -F'"' 'NR == 1000 { print $6; exit }' "$file")
python3 - "$dir" "$count" "$planted_ua" $planted_ips <<'PY'
import random, sys
out, count, ua, planted = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
r = random.Random(15)
n_ip, n_cidr, n_dom, n_url = count * 60 // 100, count // 10, count // 5, count * 8 // 100
n_ua = count - n_ip - n_cidr - n_dom - n_url
words = ["mail", "login", "secure", "update", "cdn", "news", "vote", "portal", "account", "drive"]
tlds = ["com", "net", "org", "info", "xyz", "ir", "ru", "top"]
def v4():
    return "%d.%d.%d.%d" % (r.randint(1, 223), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))
def dom():
    return "%s-%s%d.%s" % (r.choice(words), r.choice(words), r.randint(0, 10**6), r.choice(tlds))
with open(f"{out}/indicators.txt", "w") as f:
    f.write("# bench indicators (seeded)\n")
    for p in planted:
        f.write(f"{p}\tplanted\n")
    for i in range(n_ip):
        if i % 10 == 0:
            f.write("2001:db8:%x:%x::%x\n" % (r.randint(0, 65535), r.randint(0, 65535), r.randint(1, 65535)))
        else:
            f.write(v4() + "\n")
    for i in range(n_cidr):
        if i % 10 == 0:
            f.write("2001:db8:%x::/%d\n" % (r.randint(0, 65535), r.choice([32, 48, 56, 64])))
        else:
            f.write("%s/%d\n" % (v4(), r.randint(8, 30)))
    for _ in range(n_dom):
        f.write(dom() + "\n")
    for _ in range(n_url):
        f.write("https://%s/%s/%d.php\n" % (dom(), r.choice(words), r.randint(0, 999)))
with open(f"{out}/user-agents.txt", "w") as f:
    f.write("# kind: user-agent\n")
    f.write(ua + "\tplanted\n")
    for i in range(n_ua - 1):
        f.write("Mozilla/5.0 (compatible; Bot%d/%d.%d; +https://%s/)\n" % (i, r.randint(1, 9), r.randint(0, 99), dom()))
PY
ninds=$(( $(grep -vc '^#' "$dir/indicators.txt") + $(grep -vc '^#' "$dir/user-agents.txt") ))
echo "$file: $mb MB, $(wc -l < "$file") lines; $ninds indicators"

time_it() {
  local label=$1 log; shift
  log=$(mktemp)
  /usr/bin/time -f '%e %M %U %S' -o "$log" "$@" > /dev/null 2>&1 || true
  read -r secs rss_kb usr sys < <(tail -n 1 "$log"); rm -f "$log"
  awk -v l="$label" -v s="$secs" -v r="$rss_kb" -v u="$usr" -v k="$sys" -v mb="$mb" 'BEGIN {
    printf "  %-34s %7.2f s wall %7.2f s CPU %7.0f MB/s wall  peak RSS %6.0f MiB\n", l, s, u + k, mb / (s > 0 ? s : 0.001), r / 1024 }'
  last_wall=$secs
}

cat "$file" > /dev/null
threads=${THREADS:-2}
time_it "load only (empty log, 1M indicators)" "$bin" --quiet hunt --intel "$dir/indicators.txt" --intel "$dir/user-agents.txt" -O jsonl /dev/null
load_s=$last_wall
time_it "hunt, no intel ($threads threads)" "$bin" --quiet --threads "$threads" hunt -O jsonl -o "$dir/plain.jsonl" "$file"
plain_s=$last_wall
time_it "hunt, 1M indicators ($threads threads)" "$bin" --quiet --threads "$threads" hunt -O jsonl -o "$dir/intel.jsonl" \
  --intel "$dir/indicators.txt" --intel "$dir/user-agents.txt" "$file"
intel_s=$last_wall
hits=$(grep -c '"detector":"intel.match"' "$dir/intel.jsonl" || true)
srcs=$(grep '"detector":"intel.match"' "$dir/intel.jsonl" | grep -o '"source":{"ip":"[^"]*"' | sort -u | wc -l)
awk -v p="$plain_s" -v i="$intel_s" -v l="$load_s" -v h="$hits" -v s="$srcs" 'BEGIN {
  printf "  intel.match alerts: %d (%d sources)\n", h, s
  printf "  with intel / without: %.2fx (goal <= 1.25x); of it, loading the indicators: %.2f s\n", i / (p > 0 ? p : 0.001), l }'
