"""Shared pieces of the Sigma reference side (scripts/sigma_ref).

- haboob's log source mapping (crates/sigma/data/logsources.toml): which
  SQLite table (haboob family) a rule's events are in, and per variant the
  Channel / EventID conditions and field renames its log source adds.
- The table an event printed by `haboob events --fields` goes in
  (event_tables.toml).
- The web field aliases haboob answers (crates/model/src/record.rs).
- The internal columns every table has.

Plain stdlib: events_to_sqlite.py and compare.py run without pySigma.
"""

from __future__ import annotations

import json
import pathlib
import re
import tomllib
from dataclasses import dataclass, field

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# haboob's own log source mapping (crates/sigma, issue 13): the reference
# dispatches rules exactly as haboob does.
HABOOB_MAPPING = ROOT / "crates" / "sigma" / "data" / "logsources.toml"
# Which table (haboob family) each event printed by `haboob events` goes in.
EVENT_TABLES = HERE / "event_tables.toml"
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
# A rename to several view names reads the first the event has: a column
# named FIRST_OF + JSON list, filled by run_ref.py with COALESCE(names...).
FIRST_OF = "haboob_first_of:"

TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}\Z")
FAMILIES = (
    "web",
    "windows",
    "azure.signinlogs",
    "azure.auditlogs",
    "okta",
    "m365",
    "gworkspace",
    "syslog",
    # Linux hosts (auditd records, Sysmon for Linux events).
    "linux.sysmon",
    "linux.auditd",
    # Cloud audit logs.
    "aws.cloudtrail",
    "azure.activitylogs",
    "azure.riskdetection",
    "gcp.audit",
)


class MappingError(Exception):
    """The mapping file is unreadable or malformed (message says where)."""


def table_of(family: str) -> str:
    """The SQLite table of a haboob family (`azure.signinlogs` -> azure_signinlogs)."""
    return family.replace(".", "_")


@dataclass(frozen=True)
class Variant:
    """One way a log source is found in records (haboob's mapping.rs)."""

    channel: tuple = ()
    eventid: tuple = ()
    # Sigma field name, ASCII lower case -> view names, the first one the
    # record has is read.
    rename: tuple = ()  # ((name, (view names...)), ...)

    def conditions(self) -> dict:
        out = {}
        if self.channel:
            out["Channel"] = list(self.channel)
        if self.eventid:
            out["EventID"] = list(self.eventid)
        return out

    def field_map(self) -> dict[str, str]:
        """Sigma name (lower case) -> the column the SQL reads."""
        return {
            k: names[0] if len(names) == 1 else FIRST_OF + json.dumps(list(names))
            for k, names in self.rename
        }


@dataclass(frozen=True)
class Entry:
    """One [[source]]: the rule's table and its variants."""

    key: tuple  # (product, service, category), lower case, "" when absent
    table: str
    variants: tuple

    def label(self) -> str:
        return ",".join(
            f"{k}={v}" for k, v in zip(("product", "service", "category"), self.key) if v
        )


def _key(p, s, c) -> tuple:
    return tuple((x or "").strip().lower() for x in (p, s, c))


@dataclass
class Mapping:
    """haboob's log source entries, its placeholders, and the event tables."""

    path: pathlib.Path
    entries: dict
    placeholders: dict
    event_tables: dict = field(default_factory=dict)

    def entry_for(self, category, product, service) -> Entry | None:
        """The entry whose product, service and category equal the rule's
        (a key the rule leaves out is left out by the entry), as haboob looks
        it up."""
        return self.entries.get(_key(product, service, category))

    def table_for_event(self, log_format: str | None, category: str | None) -> str | None:
        if category == "web":
            return "web"
        if log_format is None:
            return None
        return self.event_tables.get(log_format)


def _strings(v, where) -> tuple:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise MappingError(f"{where}: a list of strings")
    return tuple(v)


def _rename(d, where) -> dict:
    if not isinstance(d, dict):
        raise MappingError(f"{where}: rename must be a table")
    return {k.lower(): _strings(v, f"{where}: rename.{k}") for k, v in d.items()}


def _variant(src: dict, var: dict, where: str) -> Variant:
    channel = _strings(var.get("channel") or src.get("channel", []), f"{where}: channel")
    eventid = var.get("eventid") or src.get("eventid", [])
    if not isinstance(eventid, list) or not all(isinstance(x, int) for x in eventid):
        raise MappingError(f"{where}: eventid must be a list of integers")
    rename = _rename(src.get("rename", {}), where)
    rename.update(_rename(var.get("rename", {}), where))
    return Variant(channel, tuple(eventid), tuple(sorted(rename.items())))


def load_mapping(path=None, event_tables=None) -> Mapping:
    """haboob's mapping file (`path`, default crates/sigma/data/logsources.toml)
    and the event tables (event_tables.toml)."""
    path = pathlib.Path(path) if path else HABOOB_MAPPING
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise MappingError(f"{path}: {e}") from e
    unknown = set(doc) - {"placeholders", "source"}
    if unknown:
        raise MappingError(f"{path}: unknown keys {sorted(unknown)}")
    entries = {}
    for i, src in enumerate(doc.get("source", []), 1):
        where = f"{path}: [[source]] #{i}"
        if not isinstance(src, dict):
            raise MappingError(f"{where}: not a table")
        unknown = set(src) - {
            "product", "service", "category", "family", "channel", "eventid", "rename", "variant",
        }
        if unknown:
            raise MappingError(f"{where}: unknown keys {sorted(unknown)}")
        family = src.get("family")
        if family not in FAMILIES:
            raise MappingError(f"{where}: unknown family {family!r}")
        variants = src.get("variant") or [{}]
        key = _key(src.get("product"), src.get("service"), src.get("category"))
        if key in entries:
            raise MappingError(f"{where}: log source {key} is listed twice")
        entries[key] = Entry(
            key,
            table_of(family),
            tuple(_variant(src, v, f"{where} variant #{j}") for j, v in enumerate(variants, 1)),
        )
    placeholders = doc.get("placeholders", {})
    if not isinstance(placeholders, dict):
        raise MappingError(f"{path}: [placeholders] must be a table")
    placeholders = {k: list(_strings(v, f"{path}: placeholders.{k}")) for k, v in placeholders.items()}
    return Mapping(path, entries, placeholders, load_event_tables(event_tables))


def load_event_tables(path=None) -> dict[str, str]:
    """haboob.log_format -> table, from event_tables.toml."""
    path = pathlib.Path(path) if path else EVENT_TABLES
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise MappingError(f"{path}: {e}") from e
    tables = doc.get("event_tables", {})
    if not isinstance(tables, dict):
        raise MappingError(f"{path}: [event_tables] must be a table")
    for fmt, table in tables.items():
        if not isinstance(table, str) or not TABLE_NAME.match(table):
            raise MappingError(f"{path}: event_tables.{fmt}: bad table name {table!r}")
    return dict(tables)


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
