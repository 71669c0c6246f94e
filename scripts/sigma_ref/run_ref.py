#!/usr/bin/env python3
"""Run Sigma rules over the events in SQLite with pySigma's SQLite backend:
the reference hits.

    run_ref.py RULES EVENTS_SQLITE -o ref_hits.jsonl [--summary ref_rules.jsonl]

RULES: Sigma rule files or directories (converted here, as convert.py does),
or one converted.jsonl written by convert.py. Repeat --rules for more.

Writes one JSON line per hit, {"rule_id", "file", "line"} (the event's
`log.file.path` and `log.line`), sorted and without duplicates: the shape
`haboob hunt --rules R --timeline FILE.jsonl` writes, so compare.py
can set one against the other. A correlation rule's hits are the events its
correlation hits group (one line per event), run by the backend's runtime. --summary writes one line per rule: status
(converted / unmapped / invalid / error / correlation / run-error), table and
hit count. Prints the per-rule hit counts (rules with hits; all with --all).

SQLite has no REGEXP: it is registered here with Python's `re.search` (Sigma's
`|re` is case-sensitive unless the rule's flags say `i`; pySigma has already
checked every pattern with RE2, as haboob's linear-time engine would).
A query naming a column no event has reads it as NULL (the column is added).
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sqlite3
import sys
from collections import Counter

import refmap


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str):
    return re.compile(pattern)


def regexp(pattern, value) -> bool:
    """SQLite's `value REGEXP pattern`: false for NULL."""
    if value is None or pattern is None:
        return False
    return _compiled(pattern).search(str(value)) is not None


def load_rules(inputs: list[str], mapping_path, placeholders_path, fix_references=False):
    """Converted rule records, from converted.jsonl files or by converting."""
    jsonl = [p for p in inputs if p.endswith(".jsonl")]
    sources = [p for p in inputs if not p.endswith(".jsonl")]
    for path in jsonl:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except ValueError as e:
                        raise SystemExit(f"run_ref: {path}:{n}: not JSON: {e}")
    if sources:
        import convert  # needs pySigma: only when there are rules to convert

        mapping = refmap.load_mapping(mapping_path)
        placeholders = refmap.load_placeholders(placeholders_path)
        yield from convert.convert(sources, mapping, placeholders, fix_references)


def tables(db) -> dict[str, set[str]]:
    out = {}
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        out[name] = {r[1].lower() for r in db.execute(f"PRAGMA table_info({refmap.quote_ident(name)})")}
    return out


def ensure_column(db, table: str, cols: set[str], col: str):
    """Add column `col` to `table` unless it has it: all NULL, or for a
    FIRST_OF column (a rename to several view names) the first of them the
    event has, COALESCE(names...)."""
    if col.lower() in cols or col.lower() == "rowid":
        return
    q = refmap.quote_ident
    db.execute(f"ALTER TABLE {q(table)} ADD COLUMN {q(col)} TEXT COLLATE NOCASE")
    cols.add(col.lower())
    if col.startswith(refmap.FIRST_OF):
        names = json.loads(col[len(refmap.FIRST_OF):])
        for n in names:
            ensure_column(db, table, cols, n)
        db.execute(
            f"UPDATE {q(table)} SET {q(col)} = COALESCE({', '.join(q(n) for n in names)})"
        )


def group_key(keys: dict) -> tuple[tuple[str, str], ...]:
    """A correlation group's values as compared across engines: field names as
    the rule writes them, values as lower-case text (the backend lower-cases
    text group keys; Sigma compares them case-insensitively), null as ""."""
    return tuple(sorted((str(k), "" if v is None else str(v).lower()) for k, v in keys.items()))


def run_correlation(db, plans) -> tuple[int, set[tuple[str, int]], set[tuple]]:
    """The backend runtime's correlation hits: how many, every event they
    group as (file, line), and the distinct groups that fired."""
    from sigma.backends.sqlite.runtime import execute_plan  # needs pySigma

    groups, found, keys = 0, set(), set()
    for plan in plans:
        rows, _ = execute_plan(db, plan, include_events=True)
        groups += len(rows)
        for row in rows:
            keys.add(group_key(row.get("group_keys") or {}))
            for ev in row["evidence"]:
                event = ev["event"]
                found.add((event[refmap.COL_FILE], int(event[refmap.COL_LINE])))
    return groups, found, keys


def run(rules, db) -> tuple[list[dict], list[tuple[str, str, int]]]:
    """Per-rule summary records and the hits (rule_id, file, line)."""
    have = tables(db)
    summary, hits = [], set()
    for rec in rules:
        s = {k: rec.get(k) for k in ("rule_id", "title", "path", "logsource", "status")}
        if rec.get("error"):
            s["error"] = rec["error"]
        summary.append(s)
        if rec.get("status") != "converted":
            continue
        table = rec["table"]
        s["table"] = table
        s["hits"] = 0
        cols = have.get(table)
        if cols is None:
            s["events"] = 0  # no event of this family: no hit, nothing to run
            continue
        if rec.get("kind") == "correlation":
            s["kind"] = "correlation"
            try:
                groups, found, keys = run_correlation(db, rec["plans"])
            except (sqlite3.Error, ValueError, RuntimeError, re.error) as e:
                s["status"] = "run-error"
                s["error"] = f"{type(e).__name__}: {e}"
                continue
            s["groups"] = groups
            s["group_keys"] = sorted([list(p) for p in k] for k in keys)
            s["hits"] = len(found)
            hits.update((rec["rule_id"], f, n) for f, n in found)
            continue
        for col in rec.get("required_fields", []):
            ensure_column(db, table, cols, col)
        found = set()
        try:
            for q in rec["queries"]:
                sql = (
                    f"SELECT {refmap.quote_ident(refmap.COL_FILE)}, "
                    f"{refmap.quote_ident(refmap.COL_LINE)} FROM ({q})"
                )
                found.update(db.execute(sql).fetchall())
        except (sqlite3.Error, re.error) as e:
            s["status"] = "run-error"
            s["error"] = f"{type(e).__name__}: {e}"
            continue
        s["hits"] = len(found)
        hits.update((rec["rule_id"], f, n) for f, n in found)
    return summary, sorted(hits)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rules", help="Sigma rules (file or directory) or converted.jsonl")
    ap.add_argument("events", help="SQLite file from events_to_sqlite.py")
    ap.add_argument("--rules", dest="more", action="append", default=[], help="more rules")
    ap.add_argument("-o", "--output", required=True, help="hits (JSON lines)")
    ap.add_argument("--summary", help="per-rule summary (JSON lines)")
    ap.add_argument(
        "--mapping", help="haboob's log source mapping (default: crates/sigma/data/logsources.toml)"
    )
    ap.add_argument("--placeholders", help="placeholder values (see convert.py)")
    ap.add_argument("--fix-references", action="store_true", help="see convert.py")
    ap.add_argument("--all", action="store_true", help="print every converted rule's count")
    args = ap.parse_args(argv)
    db = sqlite3.connect(args.events)
    db.create_function("regexp", 2, regexp, deterministic=True)
    try:
        rules = list(
            load_rules(
                [args.rules, *args.more], args.mapping, args.placeholders, args.fix_references
            )
        )
    except refmap.MappingError as e:
        print(f"run_ref: {e}", file=sys.stderr)
        return 2
    summary, hits = run(rules, db)
    db.commit()
    db.close()
    with open(args.output, "w", encoding="utf-8") as out:
        for rule_id, f, n in hits:
            out.write(json.dumps({"rule_id": rule_id, "file": f, "line": n}, ensure_ascii=False) + "\n")
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as out:
            for s in summary:
                out.write(json.dumps(s, ensure_ascii=False) + "\n")
    status = Counter(s["status"] for s in summary)
    fired = [s for s in summary if s.get("hits")]
    shown = [s for s in summary if "hits" in s] if args.all else fired
    for s in sorted(shown, key=lambda s: (-s["hits"], s["table"], s["title"] or "")):
        print(f"{s['hits']:7}  {s['table']:<18} {s['rule_id']}  {refmap.printable(s['title'], 90)}")
    print(
        f"run_ref: {len(hits)} hits by {len(fired)} of {status['converted']} converted rules; "
        + ", ".join(f"{k} {v}" for k, v in sorted(status.items())),
        file=sys.stderr,
    )
    for s in summary:
        if s["status"] == "run-error":
            print(f"run_ref: run error {s['rule_id']}: {refmap.printable(s['error'])}", file=sys.stderr)
    return 1 if status["run-error"] else 0


if __name__ == "__main__":
    sys.exit(main())
