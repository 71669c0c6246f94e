#!/usr/bin/env python3
"""Check the reference chain against SigmaHQ's own regression data: for each
case (regression_data/**/info.yml: a rule id, an .evtx file and the number
of events that must match, at least one when it gives none), read the file with `haboob events --fields`,
load it, run the rule with the backend, and compare the count.

    regression.py REGRESSION_DATA_DIR RULES_DIR... --haboob BIN

Prints one line per case: ok, FAIL (the reference disagrees with SigmaHQ),
SKIP (the rule's log source is not mapped), or PENDING (haboob gives no event of the file to the rule's table yet: what
its EVTX reader keeps is growing, issue 13). Exit 1 on any FAIL.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import pathlib
import sqlite3
import subprocess
import sys

import yaml  # installed with pySigma

import convert
import events_to_sqlite
import refmap
import run_ref


def rule_files(rule_dirs) -> dict[str, pathlib.Path]:
    """rule id -> its file, for the rules under `rule_dirs`."""
    out = {}
    for d in rule_dirs:
        for p in sorted(pathlib.Path(d).rglob("*.yml")):
            try:
                with open(p, encoding="utf-8") as f:
                    for doc in yaml.safe_load_all(f):
                        if isinstance(doc, dict) and doc.get("id"):
                            out[str(doc["id"])] = p
            except (OSError, yaml.YAMLError):
                continue  # convert.py reports unreadable rules
    return out


def run_case(haboob, evtx: pathlib.Path, rule: pathlib.Path, mapping, aliases):
    """(events loaded in the rule's table, reference hits) for one case."""
    proc = subprocess.run(
        [haboob, "events", "--fields", "--no-rejected", "-q", str(evtx)],
        capture_output=True, text=True, check=True,
    )
    db = sqlite3.connect(":memory:")
    db.create_function("regexp", 2, run_ref.regexp, deterministic=True)
    loader = events_to_sqlite.Loader(db, mapping, aliases)
    loader.read(io.StringIO(proc.stdout), str(evtx))
    recs = list(convert.convert([str(rule)], mapping))
    if len(recs) != 1 or recs[0]["status"] != "converted":
        status = recs[0]["status"] if recs else "missing"
        return None, f"rule not converted: {status} {recs[0].get('error', '') if recs else ''}"
    table = recs[0]["table"]
    with contextlib.redirect_stdout(io.StringIO()):
        summary, hits = run_ref.run(recs, db)
    if summary[0]["status"] != "converted":
        return None, summary[0].get("error")
    return loader.rows.get(table, 0), len(hits)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("regression_data")
    ap.add_argument("rules", nargs="+")
    ap.add_argument("--haboob", required=True)
    ap.add_argument("--mapping")
    args = ap.parse_args(argv)
    mapping = refmap.load_mapping(args.mapping)
    aliases = refmap.web_aliases()
    rules = rule_files(args.rules)
    base = pathlib.Path(args.regression_data)
    # info.yml paths are relative to the SigmaHQ checkout (regression_data/...).
    checkout = base.parent
    fails = 0
    for info_path in sorted(base.rglob("info.yml")):
        info = yaml.safe_load(info_path.read_text(encoding="utf-8"))
        for meta in info.get("rule_metadata", []):
            rid = str(meta["id"])
            for test in info.get("regression_tests_info", []):
                name = f"{rid} {test.get('name')}"
                if test.get("type") != "evtx":
                    print(f"SKIP     {name}: type {test.get('type')}")
                    continue
                rule = rules.get(rid)
                evtx = checkout / test["path"]
                if rule is None or not evtx.exists():
                    print(f"FAIL     {name}: rule or {evtx.name} not found")
                    fails += 1
                    continue
                # No match_count: a positive test, at least one match.
                count = test.get("match_count")
                want = int(count) if count is not None else None
                wanted = f"{want}" if want is not None else ">= 1"
                events, got = run_case(args.haboob, evtx, rule, mapping, aliases)
                if events is None and got.startswith("rule not converted: unmapped"):
                    print(f"SKIP     {name}: log source not in the mapping")
                elif events is None:
                    print(f"FAIL     {name}: {got}")
                    fails += 1
                elif got == want or (want is None and got >= 1):
                    print(f"ok       {name}: {got} of {events} events ({meta.get('title')})")
                elif events == 0:
                    print(f"PENDING  {name}: want {wanted}, haboob gives no event of the file yet")
                else:
                    print(f"FAIL     {name}: want {wanted}, reference {got} of {events} events")
                    fails += 1
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
