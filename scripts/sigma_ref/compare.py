#!/usr/bin/env python3
"""Compare haboob's Sigma hits with the reference's, rule by rule.

    compare.py REF_HITS [HABOOB_HITS] [--ref-summary ref_rules.jsonl]
               [--haboob-check CHECK_OUTPUT] [--known known_disagreements.toml]

Both hit files are JSON lines {"rule_id", "file", "line"} (other keys are
ignored): run_ref.py writes the reference's, `haboob hunt --rules R
--timeline FILE.jsonl` haboob's. A hit is the set member (rule, file, line).
For every rule with a hit on either side it prints: both, only-ref,
only-haboob, and a few only-* examples (file:line).

With --ref-summary (run_ref.py's), a rule the reference could not convert or
run is not compared: its haboob hits are listed as "NO-REF"; a rule id the
reference never saw (another rule set, a built-in detector) as "NOT-IN-REF".
Hit lines may use the ECS names instead (rule.id, log.file.path, log.line).

With --haboob-check (the output of `haboob rules check` on the same rules),
it also lists every rule one side loads and the other does not ("LOADING":
a log source one side does not map, a feature one side does not support).

Exit status: 0 when every rule agrees or its disagreement is listed in the
known-disagreements file (rule id + reason: the backend is the one that is
wrong); 1 on any other disagreement; 2 on unreadable input.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tomllib
from collections import defaultdict

import refmap

DEFAULT_KNOWN = refmap.HERE / "known_disagreements.toml"


class InputError(Exception):
    """A hit file or the known-disagreements file is malformed (says where)."""


def norm(path: str) -> str:
    return os.path.normpath(path)


def jsonl_objects(path: str):
    """(line number, object) of each non-empty line of a JSON Lines file."""
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise InputError(f"{path}: {e}") from e
    with f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                h = json.loads(line)
            except ValueError as e:
                raise InputError(f"{path}:{n}: not JSON: {e}") from e
            if not isinstance(h, dict):
                raise InputError(f"{path}:{n}: not a JSON object")
            yield n, h


def load_hits(path: str) -> dict[str, set[tuple[str, int]]]:
    out: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for n, h in jsonl_objects(path):
        # The harness's names, else the ECS names haboob's outputs use.
        rid = h.get("rule_id", h.get("rule.id"))
        file = h.get("file", h.get("log.file.path"))
        ln = h.get("line", h.get("log.line"))
        if not isinstance(rid, str) or not isinstance(file, str) or not isinstance(ln, int):
            raise InputError(f"{path}:{n}: needs rule_id (string), file (string), line (integer)")
        out[rid].add((norm(file), ln))
    return out


def load_known(path) -> dict[str, str]:
    """rule id -> reason."""
    if path is None:
        if not DEFAULT_KNOWN.exists():
            return {}
        path = DEFAULT_KNOWN
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise InputError(f"{path}: {e}") from e
    out = {}
    for i, d in enumerate(doc.get("disagreement", []), 1):
        rid, reason = d.get("rule_id"), d.get("reason")
        if not isinstance(rid, str) or not isinstance(reason, str) or not reason.strip():
            raise InputError(f"{path}: [[disagreement]] #{i}: needs rule_id and a reason")
        if rid in out:
            raise InputError(f"{path}: [[disagreement]] #{i}: {rid} listed twice")
        out[rid] = reason.strip()
    return out


def load_summary(path) -> dict[str, dict]:
    if path is None:
        return {}
    out = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    s = json.loads(line)
                except ValueError as e:
                    raise InputError(f"{path}:{n}: not JSON: {e}") from e
                out[s["rule_id"]] = s
    return out


def group_key(group: dict) -> tuple[tuple[str, str], ...]:
    """run_ref.group_key's normalisation, for haboob's `details.group`."""
    return tuple(sorted((str(k), "" if v is None else str(v).lower()) for k, v in group.items()))


def load_groups(path: str) -> dict[str, set[tuple]]:
    """rule id -> the groups its correlation fired for, from haboob's JSON
    Lines alerts (`details.correlation`, `details.rule_id`, `details.group`)."""
    out: dict[str, set[tuple]] = defaultdict(set)
    for n, rec in jsonl_objects(path):
        d = rec.get("details")
        if rec.get("kind") != "alert" or not isinstance(d, dict) or "correlation" not in d:
            continue
        if not isinstance(d.get("rule_id"), str) or not isinstance(d.get("group"), dict):
            raise InputError(f"{path}:{n}: correlation alert without rule_id or group")
        out[d["rule_id"]].add(group_key(d["group"]))
    return out


def compare_groups(summary, hb_groups, known, out=sys.stdout) -> int:
    """Correlations, compared by the groups that fired (the engines' windows
    differ: the backend opens one per event, haboob one per run of events, so
    the events and alert counts differ where the groups do not)."""
    failures = agreed = 0
    for rid, s in sorted(summary.items()):
        if s.get("kind") != "correlation" or s.get("status") != "converted":
            continue
        r = {tuple(tuple(p) for p in k) for k in s.get("group_keys", [])}
        h = hb_groups.get(rid, set())
        title = refmap.printable(s.get("title") or "", 60)
        if r == h:
            if rid in known:
                print(f"NOW-AGREES {rid}  groups={len(r)}  (listed as known: remove it)", file=out)
            elif r:
                agreed += 1
                print(f"ok         {rid}  groups={len(r)}  {title}", file=out)
            continue
        tag = "KNOWN" if rid in known else "DIFF"
        failures += rid not in known
        print(f"{tag:<10} {rid}  groups ref={len(r)} haboob={len(h)}  {title}", file=out)
        for label, items in (("only-ref", r - h), ("only-haboob", h - r)):
            for k in sorted(items)[:3]:
                print(f"             {label}: {refmap.printable(str(dict(k)), 300)}", file=out)
    print(
        f"compare: {agreed} correlation rules fire for the same groups, "
        f"{failures} unlisted disagreements",
        file=out,
    )
    return failures


def compare(ref, hb, known, summary, examples: int, out=sys.stdout) -> int:
    """Print the comparison; the number of unlisted disagreements.
    Correlation rules are left to compare_groups."""
    failures = 0
    agreed = disagreed_known = not_in_ref = 0
    for rid in sorted(set(ref) | set(hb) | set(known)):
        r, h = ref.get(rid, set()), hb.get(rid, set())
        s = summary.get(rid)
        if s is not None and s.get("kind") == "correlation":
            continue
        title = refmap.printable((s or {}).get("title") or "", 60)
        if summary and s is None and not r:
            # Not a rule of the reference's rule set (another rule set, or an
            # alert that is not a Sigma rule's): nothing to compare it with.
            not_in_ref += 1
            print(f"NOT-IN-REF {refmap.printable(rid, 80)}  haboob={len(h)}", file=out)
            continue
        if s is not None and s.get("status") != "converted":
            if h:
                print(
                    f"NO-REF     {rid}  haboob={len(h)}  reference: {s.get('status')}  {title}",
                    file=out,
                )
            continue
        both, only_r, only_h = r & h, r - h, h - r
        if not only_r and not only_h:
            if rid in known:
                print(f"NOW-AGREES {rid}  both={len(both)}  (listed as known: remove it)", file=out)
            elif both:
                agreed += 1
                print(f"ok         {rid}  both={len(both)}  {title}", file=out)
            continue
        tag = "KNOWN" if rid in known else "DIFF"
        if rid in known:
            disagreed_known += 1
        else:
            failures += 1
        print(
            f"{tag:<10} {rid}  both={len(both)} only-ref={len(only_r)} "
            f"only-haboob={len(only_h)}  {title}",
            file=out,
        )
        if rid in known:
            print(f"             reason: {refmap.printable(known[rid], 160)}", file=out)
        for label, items in (("only-ref", only_r), ("only-haboob", only_h)):
            for f, n in sorted(items)[:examples]:
                print(f"             {label}: {refmap.printable(f, 400)}:{n}", file=out)
    print(
        f"compare: {agreed} rules agree with hits, {disagreed_known} known disagreements, "
        f"{failures} unlisted disagreements"
        + (f", {not_in_ref} haboob rules not in the reference's rule set" if not_in_ref else ""),
        file=out,
    )
    return failures


CHECK_LINE = re.compile(r": rule (\S+): (unsupported|invalid)\b:? ?(.*)$")


def load_check(path: str) -> dict[str, str]:
    """rule id -> why haboob did not load it, from `haboob rules check` output."""
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = CHECK_LINE.search(line.rstrip("\n"))
            if m:
                out[m.group(1)] = f"{m.group(2)}: {m.group(3)}".rstrip(": ")
    return out


def compare_loading(summary, check, known, out=sys.stdout) -> int:
    """Rules one side loads and the other does not; the unlisted ones."""
    failures = 0
    for rid, s in sorted(summary.items()):
        ref_ok = s.get("status") in ("converted", "run-error")
        hb_ok = rid not in check
        if ref_ok == hb_ok:
            continue
        tag = "KNOWN" if rid in known else "LOADING"
        if rid not in known:
            failures += 1
        why = check.get(rid) or "loaded"
        ref_why = s.get("status") + (f" ({s['error'][:80]})" if s.get("error") else "")
        print(
            f"{tag:<10} {rid}  reference: {refmap.printable(ref_why, 100)}; "
            f"haboob: {refmap.printable(why, 100)}",
            file=out,
        )
    print(
        f"compare: rules loaded by one side only: {failures} unlisted",
        file=out,
    )
    return failures


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ref_hits")
    ap.add_argument(
        "haboob_hits", nargs="?", help="haboob's hits (omit to compare loading only)"
    )
    ap.add_argument("--ref-summary", help="run_ref.py --summary output")
    ap.add_argument("--known", help=f"known disagreements (default: {DEFAULT_KNOWN.name})")
    ap.add_argument("--examples", type=int, default=3, help="only-* examples per rule")
    ap.add_argument(
        "--haboob-alerts",
        help="haboob's JSON Lines output: also compare correlation rules by the groups "
        "they fire for (needs --ref-summary)",
    )
    ap.add_argument(
        "--haboob-check",
        help="`haboob rules check` output for the same rules: also compare which "
        "rules each side loads (needs --ref-summary)",
    )
    args = ap.parse_args(argv)
    try:
        ref = load_hits(args.ref_hits)
        hb = load_hits(args.haboob_hits) if args.haboob_hits else None
        known = load_known(args.known)
        summary = load_summary(args.ref_summary)
    except (InputError, OSError, KeyError) as e:
        print(f"compare: {e}", file=sys.stderr)
        return 2
    if hb is None and not args.haboob_check:
        print("compare: give HABOOB_HITS, --haboob-check, or both", file=sys.stderr)
        return 2
    failures = compare(ref, hb, known, summary, args.examples) if hb is not None else 0
    if args.haboob_check:
        if not summary:
            print("compare: --haboob-check needs --ref-summary", file=sys.stderr)
            return 2
        failures += compare_loading(summary, load_check(args.haboob_check), known)
    if args.haboob_alerts:
        if not summary:
            print("compare: --haboob-alerts needs --ref-summary", file=sys.stderr)
            return 2
        try:
            groups = load_groups(args.haboob_alerts)
        except InputError as e:
            print(f"compare: {e}", file=sys.stderr)
            return 2
        failures += compare_groups(summary, groups, known)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
