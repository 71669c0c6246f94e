#!/usr/bin/env python3
"""Score haboob on CrowdSec hub HTTP test cases that are NOT in the corpus.

Usage: crowdsec_unseen.py HUB_GIT_DIR CORPUS_TESTS_DIR HABOOB_BIN [WORK_DIR]

HUB_GIT_DIR is a git directory of github.com/crowdsecurity/hub (bare or not;
read with `git show`, nothing is checked out). Cases already in
CORPUS_TESTS_DIR (`corpus/crowdsec/.tests`) are skipped. Each remaining case's
log is written to WORK_DIR (default /tmp/crowdsec_unseen, never the
repository) and hunted with `haboob hunt -O jsonl`.

Selection (fixed before measuring): a case is an HTTP case when every
scenario its config.yaml tests is an HTTP scenario (its `filter:` reads HTTP
fields: `http_`, `evt.Parsed.request`, `file_ext`/`file_name`/`file_dir`/
`file_frag`, `evt.Meta.service == 'http'`, or the http log types) and its
scenario.assert names at least one source address.

Scoring is the one of crates/hunt/tests/crowdsec.rs: a case agrees when the
sources flagged by the haboob detectors of the same intent equal the sources
the assertion names, exactly. Intent comes from the scenario's name (see
`intent`). Prints one line per case and the scores (all HTTP cases, and the
exploit-intent ones). Standard library only.
"""

import ipaddress
import json
import os
import re
import subprocess
import sys

HTTP_MARKERS = (
    "http_", "evt.parsed.request", "file_ext", "file_name", "file_dir",
    "file_frag", "service == 'http'", 'service == "http"', "http_access-log",
)

EXPLOIT = ["web.exploit"]
AUTH = ["web.login_bf", "auth.brute_force", "auth.spray", "auth.stuffing",
        "auth.enumeration", "auth.burst"]


def intent(scenario):
    """haboob detectors of the same intent as a CrowdSec scenario name."""
    n = scenario.lower()
    if "bad-user-agent" in n or "bad_user_agent" in n:
        return ["web.scanner_ua"]
    if "sensitive" in n or "wpconfig" in n or "backup" in n:
        return ["web.sensitive"]
    if "crawl" in n:
        return ["web.crawl"]
    if "admin-interface" in n:
        return ["web.admin_enum", "web.exploit"]
    if "user-enum" in n or "user_enum" in n:
        return ["web.user_enum"]
    if re.search(r"(^|[-_/])(bf|brute)", n) or n.endswith("-bf") or "_bf" in n:
        return AUTH
    if n.endswith("http-probing") or "technology-probing" in n or "wordpress-scan" in n \
            or "http-scan" in n or "generic-test" in n:
        return ["web.scan"]
    if "dos" in n or "req-limit" in n or "req_limit" in n:
        return ["web.flood", "web.scan", "web.crawl"]
    return EXPLOIT


def git(hub, *args):
    return subprocess.run(["git", "-C", hub, *args], capture_output=True, check=False)


def show(hub, path):
    r = git(hub, "show", f"HEAD:{path}")
    return r.stdout if r.returncode == 0 else None


def config_fields(text):
    scenarios, log_file, in_scen = [], None, False
    for line in text.splitlines():
        if re.match(r"^[^\s-]", line):
            in_scen = line.startswith("scenarios:")
            if line.startswith("log_file:"):
                log_file = line.split(":", 1)[1].strip().strip('"')
            continue
        m = re.match(r"^\s*-\s*(.*)$", line)
        if in_scen and m:
            s = m.group(1).strip().strip('"')
            if s:
                scenarios.append(s)
    return scenarios, log_file


def scenario_file(s):
    s = s[2:] if s.startswith("./") else s
    return s if s.startswith("scenarios/") else f"scenarios/{s}.yaml"


def is_http_scenario(text):
    m = re.search(r"^filter:(.*?)(?=^\w+:)", text, re.S | re.M)
    f = (m.group(1) if m else text).lower()
    return any(k in f for k in HTTP_MARKERS)


def first_quoted(s):
    m = re.search(r'"([^"]*)"', s)
    return m.group(1) if m else None


def parse_assert(text):
    """Source addresses named in a scenario.assert (as the Rust test reads them)."""
    sources = set()
    for line in (l.strip() for l in text.splitlines()):
        cand = None
        if 'GetMeta("source_ip") == ' in line:
            cand = first_quoted(line[line.index('GetMeta("source_ip") == ') + 24:])
        elif line.startswith('"') and " in results[" in line:
            cand = first_quoted(line)
        elif "Sources[" in line:
            cand = first_quoted(line[line.index("Sources["):])
        if cand:
            try:
                sources.add(str(ipaddress.ip_address(cand)))
            except ValueError:
                pass
    return sources


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    hub, corpus_tests, haboob = sys.argv[1:4]
    work = sys.argv[4] if len(sys.argv) > 4 else "/tmp/crowdsec_unseen"
    seen = set(os.listdir(corpus_tests))
    names = git(hub, "ls-tree", "--name-only", "HEAD", ".tests/").stdout.decode().split()
    rows, agree, total, ex_agree, ex_total = [], 0, 0, 0, 0
    for path in sorted(names):
        name = path.split("/", 1)[1]
        if name in seen:
            continue
        cfg = show(hub, f".tests/{name}/config.yaml")
        assertion = show(hub, f".tests/{name}/scenario.assert")
        if cfg is None or assertion is None:
            continue
        scenarios, log_file = config_fields(cfg.decode(errors="replace"))
        if not scenarios or not log_file:
            continue
        texts = [show(hub, scenario_file(s)) for s in scenarios]
        if any(t is None or not is_http_scenario(t.decode(errors="replace")) for t in texts):
            continue
        expected = parse_assert(assertion.decode(errors="replace"))
        if not expected:
            continue
        log = show(hub, f".tests/{name}/{log_file}")
        if log is None:
            continue
        case_dir = os.path.join(work, name)
        os.makedirs(case_dir, exist_ok=True)
        log_path = os.path.join(case_dir, os.path.basename(log_file))
        with open(log_path, "wb") as f:
            f.write(log)
        r = subprocess.run([haboob, "hunt", "-q", "-O", "jsonl", log_path],
                           capture_output=True, check=False)
        detectors = sorted({d for s in scenarios for d in intent(s)})
        flagged = set()
        for line in r.stdout.decode(errors="replace").splitlines():
            try:
                a = json.loads(line)
            except ValueError:
                continue
            if a.get("kind") == "alert" and a.get("detector") in detectors:
                ip = (a.get("source") or {}).get("ip")
                if ip:
                    flagged.add(ip)
        ok = flagged == expected
        total += 1
        agree += ok
        if detectors == EXPLOIT:
            ex_total += 1
            ex_agree += ok
        rows.append(f"{'agree   ' if ok else 'DISAGREE'} {name:<40} "
                    f"{','.join(s.split('/')[-1].replace('.yaml', '') for s in scenarios)} "
                    f"want={sorted(expected)} got={sorted(flagged)} ({','.join(detectors)})")
    print("\n".join(rows))
    print(f"\nunseen HTTP cases: {agree} of {total} agree exactly"
          f" ({100.0 * agree / max(total, 1):.0f} %)")
    print(f"of which exploit intent (web.exploit): {ex_agree} of {ex_total}"
          f" ({100.0 * ex_agree / max(ex_total, 1):.0f} %)")


if __name__ == "__main__":
    main()
