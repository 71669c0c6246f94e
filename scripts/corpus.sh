#!/usr/bin/env bash
# Downloads haboob's real-data corpus, file by file as pinned in
# corpus/manifest.tsv, and verifies every SHA-256.
#
#   scripts/corpus.sh [--manifest FILE] [DIR]   fetch into DIR
#   scripts/corpus.sh --verify [--manifest FILE] DIR   only check a copy
#
# DIR defaults to the cache the tests look in (crates/testdata):
# ${XDG_CACHE_HOME:-~/.cache}/haboob/corpus. Files are fetched from
#   ${HABOOB_CORPUS_BASE_URL:-https://raw.githubusercontent.com}/<repository>/<commit>/<path>
# (set HABOOB_CORPUS_BASE_URL to use a mirror laid out the same way).
# Files already present with the right hash are not fetched again. A file
# that cannot be fetched or whose hash differs is an error naming it; the
# run goes on with the others, then exits 1 listing every error. Only when
# all downloadable files are verified is DIR/.verified written, which is
# what makes the tests use DIR. `derived` rows (built by a one-off step,
# see the manifest header) cannot be downloaded and are counted, not
# fetched. Needs bash, curl, unzip and sha256sum (or shasum).
#
# Bash + curl rather than a Rust tool: fetching over HTTPS would need a TLS
# stack in the workspace's dev-dependencies; curl is everywhere already.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
manifest="$root/corpus/manifest.tsv"
verify_only=0
dest=""
while [ $# -gt 0 ]; do
  case "$1" in
    --verify) verify_only=1 ;;
    --manifest) manifest="$2"; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "corpus.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) dest="$1" ;;
  esac
  shift
done
if [ -z "$dest" ]; then
  if [ "$verify_only" = 1 ]; then
    echo "corpus.sh: --verify needs the directory to check" >&2; exit 2
  fi
  cache="${XDG_CACHE_HOME:-}"
  case "$cache" in /*) ;; *) cache="${HOME:?HOME is not set}/.cache" ;; esac
  dest="$cache/haboob/corpus"
fi
base="${HABOOB_CORPUS_BASE_URL:-https://raw.githubusercontent.com}"
base="${base%/}"

if command -v sha256sum >/dev/null 2>&1; then
  hasher=(sha256sum --)
elif command -v shasum >/dev/null 2>&1; then
  hasher=(shasum -a 256 --)
else
  echo "corpus.sh: needs sha256sum or shasum" >&2; exit 2
fi
if [ "$verify_only" = 0 ]; then
  for tool in curl unzip; do
    command -v "$tool" >/dev/null 2>&1 || { echo "corpus.sh: needs $tool" >&2; exit 2; }
  done
fi

# Percent-encodes a path for a URL (keeps / and unreserved characters).
urlpath() {
  local s="$1" out="" c i
  local LC_ALL=C
  for ((i = 0; i < ${#s}; i++)); do
    c="${s:i:1}"
    case "$c" in
      [A-Za-z0-9._~/-]) out+="$c" ;;
      *) printf -v c '%%%02X' "'$c"; out+="$c" ;;
    esac
  done
  printf '%s' "$out"
}

sha256() { "${hasher[@]}" "$1" | cut -d' ' -f1; }

declare -A repo=() commit=()
errors=()
present=0 fetched=0 derived=0 derived_absent=0 total=0

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
tmp="$dest/.partial"
if [ "$verify_only" = 0 ]; then
  rm -f "$dest/.verified"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  trap 'rm -rf "$tmp"' EXIT
fi

# Pass 1: read the manifest.
rows=()
line_no=0
while IFS=$'\t' read -r rec a b c d e f g || [ -n "$rec" ]; do
  line_no=$((line_no + 1))
  case "$rec" in
    ''|'#'*) continue ;;
    source) repo[$a]="$b"; commit[$a]="$c"; continue ;;
    file) ;;
    *) echo "corpus.sh: $manifest:$line_no: unknown record '$rec'" >&2; exit 2 ;;
  esac
  case "/$c/" in
    //*|*/../*|*/./*|*//*) echo "corpus.sh: $manifest:$line_no: unsafe path '$c'" >&2; exit 2 ;;
  esac
  if [ -z "${repo[$e]:-}" ]; then
    echo "corpus.sh: $manifest:$line_no: unknown source '$e'" >&2; exit 2
  fi
  rows+=("$a"$'\t'"$c"$'\t'"$d"$'\t'"$e"$'\t'"$f"$'\t'"$g")
done <"$manifest"

# Pass 2: hash the files already there, in one go.
declare -A have=()
present_files=()
for row in "${rows[@]}"; do
  IFS=$'\t' read -r _ rel _ <<<"$row"
  [ -f "$dest/$rel" ] && present_files+=("$rel")
done
if [ ${#present_files[@]} -gt 0 ]; then
  while IFS= read -r line; do
    have["${line:66}"]="${line:0:64}"
  done < <(cd "$dest" && printf '%s\0' "${present_files[@]}" | xargs -0 "${hasher[@]}")
fi

# Pass 3: fetch what is missing or wrong.
for row in "${rows[@]}"; do
  IFS=$'\t' read -r sha rel kind key up member <<<"$row"
  total=$((total + 1))
  target="$dest/$rel"
  if [ "$kind" = derived ]; then derived=$((derived + 1)); fi
  if [ -f "$target" ]; then
    got="${have[$rel]:-unreadable}"
    if [ "$got" = "$sha" ]; then
      present=$((present + 1)); continue
    fi
    if [ "$verify_only" = 1 ] || [ "$kind" = derived ]; then
      errors+=("$rel: sha256 $got, manifest says $sha"); continue
    fi
    echo "re-fetching $rel (sha256 $got, manifest says $sha)" >&2
  elif [ "$verify_only" = 1 ] && [ "$kind" != derived ]; then
    errors+=("$rel: missing"); continue
  fi
  if [ "$kind" = derived ]; then derived_absent=$((derived_absent + 1)); continue; fi
  [ "$verify_only" = 1 ] && continue

  url="$base/${repo[$key]}/${commit[$key]}/$(urlpath "$up")"
  part="$tmp/file"
  if ! curl -fsSL --retry 2 --connect-timeout 20 --max-time 300 -o "$part" "$url" 2>"$tmp/err"; then
    errors+=("$rel: cannot fetch $url ($(tr '\n' ' ' <"$tmp/err" | cut -c1-200))"); continue
  fi
  case "$kind" in
    raw) ;;
    zip)
      if ! unzip -p "$part" "$member" >"$tmp/member" 2>"$tmp/err"; then
        errors+=("$rel: no member '$member' in $url"); continue
      fi
      mv "$tmp/member" "$part" ;;
    *) echo "corpus.sh: $manifest:$line_no: unknown kind '$kind'" >&2; exit 2 ;;
  esac
  got=$(sha256 "$part")
  if [ "$got" != "$sha" ]; then
    errors+=("$rel: sha256 $got from $url, manifest says $sha (changed upstream?)"); continue
  fi
  mkdir -p "$(dirname "$target")"
  mv -f "$part" "$target"
  fetched=$((fetched + 1))
done

echo "corpus: $dest: $total files in the manifest, $present already verified, $fetched fetched and verified, $derived derived ($derived_absent absent: not downloadable)"
if [ ${#errors[@]} -gt 0 ]; then
  echo "corpus: ${#errors[@]} error(s):" >&2
  printf '  %s\n' "${errors[@]}" >&2
  exit 1
fi
if [ "$verify_only" = 0 ]; then
  sha256 "$manifest" >"$dest/.verified"
  echo "corpus: ready; the tests find it there (or point HABOOB_CORPUS at it)"
fi
