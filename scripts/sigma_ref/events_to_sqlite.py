#!/usr/bin/env python3
"""Load `haboob events --fields --format jsonl` output into SQLite, one table
per event family, for pySigma's SQLite backend to query.

    haboob events --fields --no-rejected LOGS... > events.jsonl
    events_to_sqlite.py events.jsonl [more.jsonl | -] -o events.sqlite

Layout (Zircolite's, which the backend's SQL is written for):
- one table per family (web, windows, azure_signinlogs, okta, ...; see
  event_tables.toml);
- one column per field name of `haboob.fields`, declared
  `TEXT COLLATE NOCASE`: `=` ignores ASCII case like Sigma, and an integer
  literal in the SQL (`EventID=4624`) compares as its text;
- web rows also fill the alias columns haboob answers for the same value
  (`c-uri-stem` = `cs-uri-stem`, ...; crates/model/src/record.rs);
- internal columns: haboob_file, haboob_line (the event's `log.file.path`
  and `log.line`: hits are compared as (rule, file, line)), haboob_format,
  haboob_ts, haboob_keywords (every field value, for keyword detections).

Field names are case-insensitive in SQLite as in haboob's views: two names of
one event that differ only in case (`ProcessID` of System and `ProcessId` of
EventData) share a column; the later one in the event wins and is counted.

Every input line is loaded or counted with its reason: rejected by haboob
(pipeline_error), no field view, no table for its format, a duplicate of the
event just before it (same file, line and fields: one record printed as two
events), or not JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections import Counter

import refmap

MAX_REPORTED = 20
INTERNAL_LOWER = frozenset(c.lower() for c in refmap.INTERNAL)


def value_of(v):
    """A field value as SQLite stores it (None: no value)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, str)):
        return v
    if isinstance(v, float):
        return repr(v)
    # Lists and objects as haboob's views give them: compact JSON text.
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


class Loader:
    """Creates tables and columns as events need them and inserts rows."""

    def __init__(self, db: sqlite3.Connection, mapping: refmap.Mapping, aliases):
        self.db = db
        self.mapping = mapping
        self.aliases = aliases
        self.columns: dict[str, dict[str, str]] = {}  # table -> lower -> name
        self.stats = Counter()
        self.collisions = Counter()
        self.rows = Counter()
        self.no_fields = Counter()
        self.no_table = Counter()
        self.reported = 0
        self.last = None

    def problem(self, where: str, reason: str):
        self.stats["bad lines"] += 1
        if self.reported < MAX_REPORTED:
            print(f"events_to_sqlite: {where}: {reason}", file=sys.stderr)
        self.reported += 1

    def table(self, name: str) -> dict[str, str]:
        cols = self.columns.get(name)
        if cols is None:
            q = refmap.quote_ident
            self.db.execute(
                f"CREATE TABLE IF NOT EXISTS {q(name)} ("
                f"{q(refmap.COL_FILE)} TEXT NOT NULL, {q(refmap.COL_LINE)} INTEGER NOT NULL, "
                f"{q(refmap.COL_FORMAT)} TEXT, {q(refmap.COL_TS)} TEXT, "
                f"{q(refmap.COL_KEYWORDS)} TEXT NOT NULL)"
            )
            cols = {
                r[1].lower(): r[1]
                for r in self.db.execute(f"PRAGMA table_info({q(name)})")
            }
            self.columns[name] = cols
        return cols

    def column(self, table: str, cols: dict[str, str], name: str) -> str:
        have = cols.get(name.lower())
        if have is None:
            self.db.execute(
                f"ALTER TABLE {refmap.quote_ident(table)} ADD COLUMN "
                f"{refmap.quote_ident(name)} TEXT COLLATE NOCASE"
            )
            cols[name.lower()] = have = name
        return have

    def event(self, ev: dict, where: str):
        if ev.get("event.kind") == "pipeline_error":
            self.stats["rejected by haboob"] += 1
            return
        fmt = ev.get("haboob.log_format")
        fields = ev.get("haboob.fields")
        if not isinstance(fields, dict):
            self.no_fields[fmt or "?"] += 1
            return
        table = self.mapping.table_for_event(fmt, ev.get("event.category"))
        if table is None:
            self.no_table[fmt or "?"] += 1
            return
        path, line = ev.get("log.file.path"), ev.get("log.line")
        if not isinstance(path, str) or not isinstance(line, int):
            self.problem(where, "no log.file.path / log.line")
            return
        # One record read as two events with the same fields (a Windows logon
        # is both a sign-in and a Windows event): one row, or a correlation
        # would count it twice. Such events are printed one after the other.
        key = (table, path, line, json.dumps(fields, sort_keys=True))
        if key == self.last:
            self.stats["duplicate events (same file, line and fields)"] += 1
            return
        self.last = key
        cols = self.table(table)
        row: dict[str, object] = {}
        keywords = []
        for name, raw in fields.items():
            v = value_of(raw)
            if v is None:
                continue
            if name.lower() in INTERNAL_LOWER:
                self.problem(where, f"field {refmap.printable(name)} shadows an internal column")
                continue
            keywords.append(str(v))
            col = self.column(table, cols, name)
            if col in row:
                self.collisions[(table, col, name)] += 1
            row[col] = v
            if table == "web":
                for alias in self.aliases.get(name, ()):
                    row[self.column(table, cols, alias)] = v
        row[refmap.COL_FILE] = path
        row[refmap.COL_LINE] = line
        row[refmap.COL_FORMAT] = fmt
        row[refmap.COL_TS] = ev.get("@timestamp")
        row[refmap.COL_KEYWORDS] = refmap.KEYWORD_SEP.join(keywords)
        names = ", ".join(refmap.quote_ident(c) for c in row)
        marks = ", ".join("?" * len(row))
        self.db.execute(
            f"INSERT INTO {refmap.quote_ident(table)} ({names}) VALUES ({marks})",
            list(row.values()),
        )
        self.rows[table] += 1

    def read(self, stream, name: str):
        for n, line in enumerate(stream, 1):
            where = f"{name}:{n}"
            if not line.strip():
                self.stats["blank lines"] += 1
                continue
            try:
                ev = json.loads(line)
            except ValueError as e:
                self.problem(where, f"not JSON: {e}")
                continue
            if not isinstance(ev, dict):
                self.problem(where, "not a JSON object")
                continue
            self.event(ev, where)

    def summary(self) -> dict:
        return {
            "rows": dict(self.rows),
            "no_field_view": dict(self.no_fields),
            "no_table": dict(self.no_table),
            "other": dict(self.stats),
            "case_collisions": [
                {"table": t, "column": c, "name": n, "events": k}
                for (t, c, n), k in sorted(self.collisions.items())
            ],
        }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", help="JSONL files from `haboob events --fields`, or -")
    ap.add_argument("-o", "--output", required=True, help="SQLite file (replaced)")
    ap.add_argument("--event-tables", help="format -> table file (default: event_tables.toml)")
    ap.add_argument("--summary", help="write the load summary (JSON) here too")
    args = ap.parse_args(argv)
    try:
        mapping = refmap.Mapping(
            refmap.EVENT_TABLES, {}, {}, refmap.load_event_tables(args.event_tables)
        )
        aliases = refmap.web_aliases()
    except (refmap.MappingError, OSError) as e:
        print(f"events_to_sqlite: {e}", file=sys.stderr)
        return 2
    if os.path.exists(args.output):
        os.remove(args.output)
    db = sqlite3.connect(args.output)
    loader = Loader(db, mapping, aliases)
    with db:
        for name in args.inputs:
            if name == "-":
                loader.read(sys.stdin, "<stdin>")
                continue
            try:
                with open(name, encoding="utf-8", errors="surrogateescape") as f:
                    loader.read(f, name)
            except OSError as e:
                print(f"events_to_sqlite: {name}: {e}", file=sys.stderr)
                return 2
    db.close()
    summary = loader.summary()
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1, sort_keys=True)
    print(
        "events_to_sqlite: rows "
        + ", ".join(f"{t}={n}" for t, n in sorted(loader.rows.items()))
        + f"; no field view: {sum(loader.no_fields.values())}"
        + f"; no table: {sum(loader.no_table.values())}"
        + "".join(f"; {k}: {v}" for k, v in sorted(loader.stats.items()))
        + f"; case collisions: {sum(loader.collisions.values())}",
        file=sys.stderr,
    )
    return 1 if loader.stats["bad lines"] else 0


if __name__ == "__main__":
    sys.exit(main())
