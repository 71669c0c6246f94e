"""Shared pieces of the Sigma reference side (scripts/sigma_ref).

- The log source mapping: which SQLite table a rule's events are in, and the
  conditions (Windows channel) its log source adds.
- The table an event printed by `haboob events --fields` goes in.
- The web field aliases haboob answers (crates/model/src/record.rs).
- The internal columns every table has.

Plain stdlib: events_to_sqlite.py and compare.py run without pySigma.
"""

from __future__ import annotations

import pathlib
import re
import tomllib
from dataclasses import dataclass, field

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FALLBACK_MAPPING = HERE / "logsources_fallback.toml"
# haboob's own mapping (issue 13, step 2). TODO(sigma-ref): when it lands on
# main, read it here (its format is not fixed yet) and drop the fallback.
HABOOB_MAPPING = ROOT / "crates" / "sigma" / "data" / "logsources.toml"
RECORD_RS = ROOT / "crates" / "model" / "src" / "record.rs"

# Internal columns: where the event came from and what keyword search reads.
# Their "haboob_" prefix keeps them apart from any field a rule names.
COL_FILE = "haboob_file"
COL_LINE = "haboob_line"
COL_FORMAT = "haboob_format"
COL_TS = "haboob_ts"
# Every field value of the event, joined by KEYWORD_SEP: the backend's
# fulltext_field, which field-less (keyword) detections match with LIKE.
COL_KEYWORDS = "haboob_keywords"
KEYWORD_SEP = "\x1f"
INTERNAL = (COL_FILE, COL_LINE, COL_FORMAT, COL_TS, COL_KEYWORDS)

TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}\Z")


class MappingError(Exception):
    """The mapping file is unreadable or malformed (message says where)."""


@dataclass(frozen=True)
class Entry:
    """One [[logsource]] entry."""

    category: str | None
    product: str | None
    service: str | None
    table: str
    conditions: dict = field(default_factory=dict, hash=False)
    fields: dict = field(default_factory=dict, hash=False)

    def covers(self, category, product, service) -> bool:
        """The fields this entry names equal the rule's (case-insensitive)."""
        for mine, theirs in (
            (self.category, category),
            (self.product, product),
            (self.service, service),
        ):
            if mine is not None and (theirs is None or mine.lower() != theirs.lower()):
                return False
        return True

    def label(self) -> str:
        parts = [
            f"{k}={v}"
            for k, v in (
                ("category", self.category),
                ("product", self.product),
                ("service", self.service),
            )
            if v is not None
        ]
        return ",".join(parts)


@dataclass
class Mapping:
    """The log source entries and the event -> table map."""

    path: pathlib.Path
    entries: list[Entry]
    event_tables: dict[str, str]

    def entry_for(self, category, product, service) -> Entry | None:
        for e in self.entries:
            if e.covers(category, product, service):
                return e
        return None

    def table_for_event(self, log_format: str | None, category: str | None) -> str | None:
        if category == "web":
            return "web"
        if log_format is None:
            return None
        return self.event_tables.get(log_format)


def load_mapping(path: str | pathlib.Path | None = None) -> Mapping:
    """The mapping at `path`, else the fallback file (see HABOOB_MAPPING)."""
    path = pathlib.Path(path) if path else FALLBACK_MAPPING
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise MappingError(f"{path}: {e}") from e
    entries = []
    for i, item in enumerate(doc.get("logsource", []), 1):
        where = f"{path}: [[logsource]] #{i}"
        if not isinstance(item, dict):
            raise MappingError(f"{where}: not a table")
        unknown = set(item) - {"category", "product", "service", "table", "conditions", "fields"}
        if unknown:
            raise MappingError(f"{where}: unknown keys {sorted(unknown)}")
        table = item.get("table")
        if not isinstance(table, str) or not TABLE_NAME.match(table):
            raise MappingError(f"{where}: table must match {TABLE_NAME.pattern}")
        if not any(item.get(k) for k in ("category", "product", "service")):
            raise MappingError(f"{where}: names no category, product or service")
        conditions = item.get("conditions", {})
        if not isinstance(conditions, dict):
            raise MappingError(f"{where}: conditions must be a table")
        fields = item.get("fields", {})
        if not isinstance(fields, dict) or not all(
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
            for v in fields.values()
        ):
            raise MappingError(f"{where}: fields must map names to a name or a list of names")
        entries.append(
            Entry(
                item.get("category"),
                item.get("product"),
                item.get("service"),
                table,
                dict(conditions),
                dict(fields),
            )
        )
    tables = doc.get("event_tables", {})
    if not isinstance(tables, dict):
        raise MappingError(f"{path}: [event_tables] must be a table")
    for fmt, table in tables.items():
        if not isinstance(table, str) or not TABLE_NAME.match(table):
            raise MappingError(f"{path}: event_tables.{fmt}: bad table name {table!r}")
    return Mapping(path, entries, dict(tables))


def load_placeholders(path: str | pathlib.Path | None) -> dict[str, list[str]]:
    """Placeholder values for `|expand` (name = ["value", ...]); {} without a file."""
    if not path:
        return {}
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise MappingError(f"{path}: {e}") from e
    out = {}
    for name, values in doc.items():
        if isinstance(values, (str, int)):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, (str, int)) for v in values):
            raise MappingError(f"{path}: {name}: a string or a list of strings")
        out[name] = [str(v) for v in values]
    return out


def web_aliases(record_rs: str | pathlib.Path = RECORD_RS) -> dict[str, list[str]]:
    """Canonical web field name -> the other names haboob answers for it.

    Read from WEB_FIELDS in crates/model/src/record.rs, the one table haboob
    keeps them in (`haboob events --fields` prints canonical names only).
    """
    text = pathlib.Path(record_rs).read_text(encoding="utf-8")
    m = re.search(r"const WEB_FIELDS: &\[&\[&str\]\] = &\[(.*?)\n\];", text, re.S)
    if not m:
        raise MappingError(f"{record_rs}: WEB_FIELDS table not found")
    out = {}
    for group in re.finditer(r"&\[([^\]]*)\]", m.group(1)):
        names = re.findall(r'"([^"]+)"', group.group(1))
        if names:
            out[names[0]] = names[1:]
    if "cs-uri-stem" not in out:
        raise MappingError(f"{record_rs}: WEB_FIELDS has no cs-uri-stem")
    return out


def quote_ident(name: str) -> str:
    """A SQLite identifier, backtick-quoted as the backend quotes them."""
    return "`" + name.replace("`", "``") + "`"


def printable(s: object, limit: int = 200) -> str:
    """Attacker-controlled text made safe to print: bounded, escaped."""
    text = str(s)
    if len(text) > limit:
        text = text[:limit] + "…"
    return text.encode("unicode_escape").decode("ascii")
