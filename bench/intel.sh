#!/usr/bin/env bash
# Intel matching at ingest speed (issue 15): `haboob hunt` on a simulated
# web log (~300,000 addresses, as bench/web.sh's `mid` case) without intel
# and with 1,000,000 indicators loaded (`--intel`), in the same run on the
# same warm page cache. The goal: with intel ≤ 1.25× the time without.
#
# Indicators (seeded, reproducible): 600,000 addresses (IPv4 and IPv6),
# 100,000 CIDRs (/22-/30, /32-/64 for IPv6), 200,000 domains, 80,000 URLs
# and 20,000 user agents, drawn so that none covers an address of the log
# (an IPv4 indicator is redrawn when its /22 holds a logged source, an IPv6
# one when its /32 does: real feeds do not list a tenth of a site's
# visitors); plus the planted ones that appear in the data: the first 5
# distinct addresses of the log and its rarest user agent. The sources of
# the `intel.match` alerts must be exactly the planted addresses and the
# sources that sent the planted user agent (checked; exit 1 otherwise).
#
# The cost is reported in parts: loading (an empty log with the 1M
# indicators), the planted indicators alone (their alerts' downstream cost,
# no load), and the rest (per-event lookups in a 1M index).
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
  rm -rf "$dir/sim" "$dir/pairs.tsv"
  "$bin" simulate --scenario web-volume --bytes "$bytes" --seed 7 --sources 300000 --out "$dir/sim" 2> /dev/null
  mv "$dir/sim/access.log" "$file"
fi
size=$(stat -c %s "$file")
mb=$(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1e6 }')

# Distinct (source, user agent) pairs of the log, once per log.
if [ ! -s "$dir/pairs.tsv" ] || [ "$dir/pairs.tsv" -ot "$file" ]; then
  awk -F'"' '{ split($1, a, " "); k = a[1] "\t" $6; if (!(k in s)) { s[k] = 1; print k } }' "$file" > "$dir/pairs.tsv"
fi
planted_ips=$(awk '!s[$1]++ { print $1; if (++n == 5) exit }' "$file")
python3 - "$dir" "$count" $planted_ips <<'PY'
import ipaddress, random, sys
out, count, planted = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
r = random.Random(15)
# What the log holds: its sources (by /22 and /32 prefix) and user agents.
v4_22, v6_32, ua_srcs = set(), set(), {}
with open(f"{out}/pairs.tsv", encoding="utf-8", errors="replace") as f:
    for line in f:
        ip, _, ua = line.rstrip("\n").partition("\t")
        ua_srcs.setdefault(ua, set()).add(ip)
        a = ipaddress.ip_address(ip)
        if a.version == 4:
            v4_22.add(int(a) >> 10)
        else:
            v6_32.add(int(a) >> 96)
# The rarest user agent (ties: the first in order) is planted.
ua = min((u for u in ua_srcs if u and u != "-"), key=lambda u: (len(ua_srcs[u]), u))
expected = sorted(set(planted) | ua_srcs[ua])
with open(f"{out}/expected-sources.txt", "w") as f:
    f.write("".join(e + "\n" for e in expected))
n_ip, n_cidr, n_dom, n_url = count * 60 // 100, count // 10, count // 5, count * 8 // 100
n_ua = count - n_ip - n_cidr - n_dom - n_url
words = ["mail", "login", "secure", "update", "cdn", "news", "vote", "portal", "account", "drive"]
tlds = ["com", "net", "org", "info", "xyz", "ir", "ru", "top"]
def v4():
    while True:
        x = (r.randint(1, 223) << 24) | r.getrandbits(24)
        if x >> 10 not in v4_22 and x & 255 not in (0, 255):
            return x
def v6_prefix():
    while True:
        p = (0x2 << 28) | r.getrandbits(28)  # 2000::/4, a /32 no source is in
        if p not in v6_32:
            return p
def dom():
    return "%s-%s%d.%s" % (r.choice(words), r.choice(words), r.randint(0, 10**6), r.choice(tlds))
with open(f"{out}/indicators.txt", "w") as f:
    f.write("# bench indicators (seeded)\n")
    for p in planted:
        f.write(f"{p}\tplanted\n")
    for i in range(n_ip):
        if i % 10 == 0:
            f.write("%s\n" % ipaddress.IPv6Address((v6_prefix() << 96) | r.getrandbits(96)))
        else:
            f.write("%s\n" % ipaddress.IPv4Address(v4()))
    for i in range(n_cidr):
        if i % 10 == 0:
            f.write("%s\n" % ipaddress.IPv6Network(((v6_prefix() << 96) | r.getrandbits(96), r.choice([32, 48, 56, 64])), strict=False))
        else:
            f.write("%s\n" % ipaddress.IPv4Network((v4(), r.randint(22, 30)), strict=False))
    for _ in range(n_dom):
        f.write(dom() + "\n")
    for _ in range(n_url):
        f.write("https://%s/%s/%d.php\n" % (dom(), r.choice(words), r.randint(0, 999)))
with open(f"{out}/user-agents.txt", "w") as f:
    f.write("# kind: user-agent\n")
    f.write(ua + "\tplanted\n")
    for i in range(n_ua - 1):
        f.write("Mozilla/5.0 (compatible; Bot%d/%d.%d; +https://%s/)\n" % (i, r.randint(1, 9), r.randint(0, 99), dom()))
with open(f"{out}/planted.txt", "w") as f:
    f.write("".join(f"{p}\tplanted\n" for p in planted))
with open(f"{out}/planted-ua.txt", "w") as f:
    f.write("# kind: user-agent\n" + ua + "\tplanted\n")
PY
ninds=$(( $(grep -vc '^#' "$dir/indicators.txt") + $(grep -vc '^#' "$dir/user-agents.txt") ))
echo "$file: $mb MB, $(wc -l < "$file") lines, $(cut -f1 "$dir/pairs.tsv" | sort -u | wc -l) sources; $ninds indicators"

time_it() {
  local label=$1 log; shift
  log=$(mktemp)
  /usr/bin/time -f '%e %M %U %S' -o "$log" "$@" > /dev/null 2>&1 || true
  read -r secs rss_kb usr sys < <(tail -n 1 "$log"); rm -f "$log"
  awk -v l="$label" -v s="$secs" -v r="$rss_kb" -v u="$usr" -v k="$sys" -v mb="$mb" 'BEGIN {
    printf "  %-40s %7.2f s wall %7.2f s CPU %7.0f MB/s wall  peak RSS %6.0f MiB\n", l, s, u + k, mb / (s > 0 ? s : 0.001), r / 1024 }'
  last_wall=$secs
}
sources_of() {
  grep '"detector":"intel.match"' "$1" | grep -o '"source":{"ip":"[^"]*"' | cut -d'"' -f6 | sort -u
}

cat "$file" > /dev/null
threads=${THREADS:-2}
time_it "load only (empty log, all indicators)" "$bin" --quiet hunt --intel "$dir/indicators.txt" --intel "$dir/user-agents.txt" -O jsonl /dev/null
load_s=$last_wall
time_it "hunt, no intel ($threads threads)" "$bin" --quiet --threads "$threads" hunt -O jsonl -o "$dir/plain.jsonl" "$file"
plain_s=$last_wall
time_it "hunt, planted 6 only ($threads threads)" "$bin" --quiet --threads "$threads" hunt -O jsonl -o "$dir/planted.jsonl" \
  --intel "$dir/planted.txt" --intel "$dir/planted-ua.txt" "$file"
planted_s=$last_wall
time_it "hunt, all indicators ($threads threads)" "$bin" --quiet --threads "$threads" hunt -O jsonl -o "$dir/intel.jsonl" \
  --intel "$dir/indicators.txt" --intel "$dir/user-agents.txt" "$file"
intel_s=$last_wall
hits=$(grep -c '"detector":"intel.match"' "$dir/intel.jsonl" || true)
sources_of "$dir/intel.jsonl" > "$dir/found-sources.txt"
sources_of "$dir/planted.jsonl" > "$dir/found-planted.txt"
srcs=$(wc -l < "$dir/found-sources.txt")
awk -v p="$plain_s" -v i="$intel_s" -v l="$load_s" -v q="$planted_s" -v h="$hits" -v s="$srcs" 'BEGIN {
  printf "  intel.match alerts: %d (%d sources)\n", h, s
  printf "  with intel / without: %.2fx (goal <= 1.25x)\n", i / (p > 0 ? p : 0.001)
  printf "  parts: load %.2f s, planted alerts downstream %.2f s, lookups in the full index %.2f s (wall)\n", l, q - p, i - q - l }'
if cmp -s "$dir/found-sources.txt" "$dir/expected-sources.txt" && cmp -s "$dir/found-planted.txt" "$dir/expected-sources.txt"; then
  echo "  matched sources: exactly the $(wc -l < "$dir/expected-sources.txt") expected (planted addresses + senders of the planted user agent)"
else
  echo "  matched sources DIFFER from the expected ones:"
  diff "$dir/expected-sources.txt" "$dir/found-sources.txt" | head -n 10
  exit 1
fi
