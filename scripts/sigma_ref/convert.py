#!/usr/bin/env python3
"""Convert Sigma rules to SQLite queries with pySigma's SQLite backend, rule
by rule, for the table the rule's log source maps to.

    convert.py RULES_DIR_OR_FILE... -o converted.jsonl [--mapping FILE]

One JSON line per rule: rule_id, title, path, logsource, and
- status "converted": table, queries (SQL, `SELECT * FROM <table> WHERE ...`),
  required_fields (the columns the SQL names);
- status "unmapped": haboob's mapping has no entry for the rule's log source;
- status "invalid": pySigma cannot load the rule (errors);
- status "error": the backend cannot convert it (error: its class and text).
A correlation rule that converts has kind "correlation" and, instead of
queries, the backend's correlation plans (run by its runtime in run_ref.py).

The rule's log source is looked up in haboob's mapping
(crates/sigma/data/logsources.toml, or --mapping) exactly as haboob looks it
up: product, service and category equal, ignoring case. Each of the entry's
variants is one conversion (their hits are the union), with pySigma
transformations doing what haboob's mapping does: AddConditionTransformation
adds `Channel` in [channel] and `EventID` in [eventid], RenameIgnoringCase
applies `rename` (several names: the first the event has, a COALESCE
column). Placeholders (`|expand`, `%name%`) take the mapping's
[placeholders], then --placeholders (TOML, name = ["value", ...]); a rule with
a placeholder neither has fails to convert. An empty-string value
(`field: ''`) is converted as `field: null` (see EmptyIsNull). Field-less
(keyword) detections match the column haboob_keywords.
"""

from __future__ import annotations

import argparse
import copy
import json
import pathlib
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass

import refmap

try:
    from sigma.backends.sqlite import sqliteBackend
    from sigma.collection import SigmaCollection
    from sigma.correlations import SigmaCorrelationRule
    from sigma.exceptions import SigmaError
    from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
    from sigma.processing.transformations import (
        AddConditionTransformation,
        FieldMappingTransformation,
        ValueListPlaceholderTransformation,
    )
    from sigma.processing.transformations.base import ValueTransformation
    from sigma.rule import SigmaRule
    from sigma.types import SigmaNull, SigmaString, SigmaType
except ImportError as e:  # pragma: no cover - the venv is missing
    sys.exit(f"convert: {e}; run scripts/sigma_ref/setup.sh and use its venv's python")


@dataclass
class EmptyIsNull(ValueTransformation):
    """`field: ''` -> `field: null`. haboob's events hold an empty value as
    null (`Value::Null`, "-" in an access log) and `haboob events` omits both,
    so the table cannot tell them apart: an empty-string match is a null test
    here, or it could never match (proxy_ua_empty.yml, `c-useragent: ''`)."""

    def apply_value(self, field: str | None, val: SigmaString) -> SigmaType | None:
        if field is not None and not val.s:
            return SigmaNull()
        return None


@dataclass
class RenameIgnoringCase(FieldMappingTransformation):
    """haboob's `rename`: a Sigma field name, matched ignoring ASCII case, read
    from another column (for several view names, the FIRST_OF column)."""

    def apply_field_name(self, field: str | None) -> None | str | list[str]:
        return self.mapping.get(field.lower()) if field else None


def backend_for(entry: refmap.Entry, variant: refmap.Variant, placeholders: dict) -> sqliteBackend:
    items = [ProcessingItem(EmptyIsNull(), identifier="haboob_empty_is_null")]
    if placeholders:
        items.append(
            ProcessingItem(
                ValueListPlaceholderTransformation(), identifier="haboob_placeholders"
            )
        )
    if variant.rename:
        items.append(
            ProcessingItem(
                RenameIgnoringCase(variant.field_map()), identifier="haboob_logsource_rename"
            )
        )
    if variant.conditions():
        items.append(
            ProcessingItem(
                AddConditionTransformation(variant.conditions()),
                identifier="haboob_logsource_conditions",
            )
        )
    pipeline = ProcessingPipeline(
        items=items, vars=dict(placeholders), name=f"haboob logsource {entry.label()}"
    )
    return sqliteBackend(
        pipeline,
        table=entry.table,
        fulltext_field=refmap.COL_KEYWORDS,
        timestamp_field=refmap.COL_TS,
    )


def backend(backends: dict, entry, i: int, placeholders: dict) -> sqliteBackend:
    """The backend of variant `i` of `entry` (one per variant, reused)."""
    b = backends.get((entry, i))
    if b is None:
        b = backends[(entry, i)] = backend_for(entry, entry.variants[i], placeholders)
    return b


def rule_path(rule) -> str:
    src = getattr(rule, "source", None)
    path = getattr(src, "path", None)
    return str(path) if path is not None else ""


def rule_id(rule, path: str, index: int) -> str:
    if getattr(rule, "id", None):
        return str(rule.id)
    return f"{path}#{index}"


def logsource_of(rule) -> dict:
    ls = getattr(rule, "logsource", None)
    if ls is None:
        return {}
    return {
        k: getattr(ls, k)
        for k in ("category", "product", "service")
        if getattr(ls, k, None) is not None
    }


def convert_one(rule, mapping: refmap.Mapping, backends: dict, placeholders: dict) -> dict:
    ls = logsource_of(rule)
    out = {"logsource": ls}
    if getattr(rule, "errors", None):
        out["status"] = "invalid"
        out["error"] = "; ".join(f"{type(e).__name__}: {e}" for e in rule.errors)
        return out
    if isinstance(rule, SigmaCorrelationRule):
        return convert_correlation(rule, mapping, backends, placeholders, out)
    if not isinstance(rule, SigmaRule):
        out["status"] = "error"
        out["error"] = f"not a detection rule: {type(rule).__name__}"
        return out
    entry = mapping.entry_for(ls.get("category"), ls.get("product"), ls.get("service"))
    if entry is None:
        out["status"] = "unmapped"
        return out
    # One conversion per variant (Channel/EventID and renames), on a copy of
    # the rule: the pipeline rewrites the rule it converts. Hits are the union.
    converted = []
    try:
        for i in range(len(entry.variants)):
            r = rule if len(entry.variants) == 1 else copy.deepcopy(rule)
            converted.extend(backend(backends, entry, i, placeholders).convert_rule(r, "zircolite"))
    except SigmaError as e:
        out["status"] = "error"
        out["error"] = f"{type(e).__name__}: {e}"
        return out
    except Exception as e:  # a backend bug is a conversion failure of this rule
        out["status"] = "error"
        out["error"] = f"backend crashed: {type(e).__name__}: {e}"
        return out
    queries, fields = [], set()
    for item in converted:
        queries.extend(item["rule"])
        fields.update(item.get("required_fields", []))
    out.update(
        status="converted",
        table=entry.table,
        queries=queries,
        required_fields=sorted(fields),
    )
    return out


def base_rules(rule) -> list:
    """The detection rules under a correlation (through chained correlations)."""
    out = []
    for ref in rule.rules:
        r = getattr(ref, "rule", None)
        if isinstance(r, SigmaCorrelationRule):
            out.extend(base_rules(r))
        elif r is not None:
            out.append(r)
    return out


def converted_already(rule) -> bool:
    try:
        return bool(rule.get_conversion_states())
    except SigmaError:
        return False


def convert_correlation(rule, mapping, backends, placeholders, out: dict) -> dict:
    """A correlation rule's plan, for the backend's runtime (run_ref.py).

    Its base rules must have been converted by the same backend first (the
    backend keeps their predicates), so convert() converts correlations last.
    """
    bases = base_rules(rule)
    entries = set()
    for b in bases:
        ls = logsource_of(b)
        entries.add(mapping.entry_for(ls.get("category"), ls.get("product"), ls.get("service")))
    if not bases or None in entries:
        out["status"] = "unmapped"
        return out
    if len(entries) > 1:
        out["status"] = "error"
        out["error"] = "correlation over rules of several log sources (not supported here)"
        return out
    entry = entries.pop()
    if len(entry.variants) != 1:
        out["status"] = "error"
        out["error"] = "correlation over a log source of several variants (not supported here)"
        return out
    b0 = backend(backends, entry, 0, placeholders)
    try:
        for b in bases:
            if not converted_already(b):
                b0.convert_rule(b, "zircolite")
        converted = b0.convert_correlation_rule(rule, "zircolite")
    except SigmaError as e:
        out["status"] = "error"
        out["error"] = f"{type(e).__name__}: {e}"
        return out
    except Exception as e:  # a backend bug is a conversion failure of this rule
        out["status"] = "error"
        out["error"] = f"backend crashed: {type(e).__name__}: {e}"
        return out
    out.update(
        status="converted",
        kind="correlation",
        table=entry.table,
        plans=[item["correlation_plan"] for item in converted],
    )
    return out


class ReferencesAsList:
    """on_beforeload hook: a copy of each rule file whose `references: <text>`
    lines (a string where the specification wants a list, as in Hayabusa's
    correlation rules) become one-item lists. Other text is left byte for byte."""

    LINE = re.compile(r"^references:[ \t]*(?![\[\s])(\S.*)$", re.M)

    def __init__(self, tmp: pathlib.Path):
        self.tmp = tmp
        self.originals: dict[str, str] = {}

    def __call__(self, path: pathlib.Path) -> pathlib.Path:
        text = path.read_text(encoding="utf-8")
        fixed = self.LINE.sub(lambda m: f"references:\n    - {m.group(1)}", text)
        if fixed == text:
            return path
        copy = self.tmp / f"{len(self.originals)}-{path.name}"
        copy.write_text(fixed, encoding="utf-8")
        self.originals[str(copy)] = str(path)
        return copy


def convert(
    paths: list[str],
    mapping: refmap.Mapping,
    placeholders: dict | None = None,
    fix_references: bool = False,
):
    """Yield one record per rule of `paths` (files or directories); the
    correlation rules last, after the detection rules they refer to."""
    placeholders = {**mapping.placeholders, **(placeholders or {})}
    with tempfile.TemporaryDirectory(prefix="sigma-ref-") as tmp:
        hook = ReferencesAsList(pathlib.Path(tmp)) if fix_references else None
        collection = SigmaCollection.load_ruleset(
            [pathlib.Path(p) for p in paths], collect_errors=True, on_beforeload=hook
        )
        yield from convert_collection(collection, mapping, placeholders, hook)


def convert_collection(collection, mapping, placeholders, hook):
    backends: dict = {}
    seen = Counter()
    rules = list(collection)
    ordered = [r for r in rules if not isinstance(r, SigmaCorrelationRule)] + [
        r for r in rules if isinstance(r, SigmaCorrelationRule)
    ]
    for rule in ordered:
        path = rule_path(rule)
        if hook is not None:
            path = hook.originals.get(path, path)
        seen[path] += 1
        rec = {
            "rule_id": rule_id(rule, path, seen[path]),
            "title": getattr(rule, "title", None),
            "path": path,
        }
        rec.update(convert_one(rule, mapping, backends, placeholders))
        yield rec


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rules", nargs="+", help="Sigma rule files or directories")
    ap.add_argument("-o", "--output", required=True, help="converted rules (JSON lines)")
    ap.add_argument(
        "--mapping", help="haboob's log source mapping (default: crates/sigma/data/logsources.toml)"
    )
    ap.add_argument(
        "--placeholders",
        help="TOML file of placeholder values (name = [values]) for |expand; "
        "without it, rules with placeholders fail to convert",
    )
    ap.add_argument(
        "--fix-references",
        action="store_true",
        help="read `references: <text>` as a one-item list (pySigma rejects it; "
        "Hayabusa's correlation rules write it)",
    )
    args = ap.parse_args(argv)
    try:
        mapping = refmap.load_mapping(args.mapping)
        placeholders = refmap.load_placeholders(args.placeholders)
    except refmap.MappingError as e:
        print(f"convert: {e}", file=sys.stderr)
        return 2
    status = Counter()
    unmapped = Counter()
    errors = Counter()
    with open(args.output, "w", encoding="utf-8") as out:
        for rec in convert(args.rules, mapping, placeholders, args.fix_references):
            status[rec["status"]] += 1
            if rec["status"] == "unmapped":
                unmapped[json.dumps(rec["logsource"], sort_keys=True)] += 1
            elif rec["status"] in ("error", "invalid"):
                errors[rec["error"].split(":")[0]] += 1
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(
        "convert: " + ", ".join(f"{k} {v}" for k, v in sorted(status.items())),
        file=sys.stderr,
    )
    for ls, n in unmapped.most_common():
        print(f"convert:   unmapped {n:4} {ls}", file=sys.stderr)
    for kind, n in errors.most_common():
        print(f"convert:   failed   {n:4} {kind}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
