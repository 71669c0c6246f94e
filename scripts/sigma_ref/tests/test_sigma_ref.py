"""Tests of the reference side on hand-written rules and events (exact hits and
misses), and of compare.py's verdicts. Run with the venv's python:

    target/sigma-ref-venv/bin/python -m unittest discover -s scripts/sigma_ref/tests
"""

import contextlib
import io
import pathlib
import sqlite3
import sys
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import compare  # noqa: E402
import convert  # noqa: E402
import events_to_sqlite  # noqa: E402
import refmap  # noqa: E402
import run_ref  # noqa: E402

WEB = "/logs/access.log"
SEC = "/logs/sec.evtx"


def load_events() -> tuple[sqlite3.Connection, events_to_sqlite.Loader]:
    db = sqlite3.connect(":memory:")
    db.create_function("regexp", 2, run_ref.regexp, deterministic=True)
    loader = events_to_sqlite.Loader(db, refmap.load_mapping(), refmap.web_aliases())
    with open(HERE / "events.jsonl", encoding="utf-8") as f:
        # The bad line's message is expected (and counted): keep it off the test output.
        with contextlib.redirect_stderr(io.StringIO()):
            loader.read(f, "events.jsonl")
    return db, loader


def rid(n: int) -> str:
    return f"11111111-0000-4000-8000-{n:012d}"


class Loading(unittest.TestCase):
    def test_every_line_is_loaded_or_counted(self):
        db, loader = load_events()
        self.assertEqual(dict(loader.rows), {"web": 5, "windows": 7})
        self.assertEqual(dict(loader.no_fields), {"entra-csv": 1})
        self.assertEqual(loader.stats["rejected by haboob"], 1)
        self.assertEqual(loader.stats["bad lines"], 1)  # "not json"
        self.assertEqual(loader.stats["duplicate events (same file, line and fields)"], 1)
        # ProcessID (System) and ProcessId (EventData) share a column; the later wins.
        self.assertEqual(sum(loader.collisions.values()), 2)
        got = db.execute("SELECT ProcessId FROM windows WHERE haboob_line=5").fetchall()
        self.assertEqual(got, [("0x4",)])

    def test_web_aliases_and_text_columns(self):
        db, _ = load_events()
        row = db.execute(
            "SELECT `c-uri-stem`, `c-useragent`, `sc-status` FROM web WHERE haboob_line=3"
        ).fetchone()
        self.assertEqual(row, ("/up/shell.php", "curl/8.4.0", "200"))
        # TEXT COLLATE NOCASE: an integer literal compares as text, case is ignored.
        n = db.execute("SELECT count(*) FROM web WHERE `sc-status`=404 AND `cs-method`='get'")
        self.assertEqual(n.fetchone(), (2,))


class Reference(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db, _ = load_events()
        rules = list(convert.convert([str(HERE / "rules")], refmap.load_mapping()))
        cls.status = {r["rule_id"]: r["status"] for r in rules}
        cls.summary, cls.hits = run_ref.run(rules, cls.db)

    def hits_of(self, n):
        return sorted((f, line) for r, f, line in self.hits if r == rid(n))

    def test_statuses(self):
        # rid(2) is a forward-proxy rule: haboob's mapping leaves `category:
        # proxy` unmapped (it misfires on access logs), so the reference does too.
        self.assertEqual(
            self.status,
            {rid(1): "converted", rid(2): "unmapped", rid(3): "converted",
             rid(4): "converted", rid(5): "converted", rid(6): "unmapped",
             rid(7): "converted", rid(8): "invalid"},
        )

    def test_web_field_case_insensitive_and_method(self):
        # line 1: GET, lower-case "union select": hit; line 2: POST: miss.
        self.assertEqual(self.hits_of(1), [(WEB, 1)])

    def test_proxy_rules_unmapped_by_default(self):
        # Line 3 would match rid(2) were proxy rules mapped (ProxyOptIn below).
        self.assertEqual(self.hits_of(2), [])

    def test_keyword(self):
        self.assertEqual(self.hits_of(3), [(WEB, 5)])

    def test_windows_channel_regex_and_filter(self):
        # sec:2 is filtered (svc_backup), sec:3 and sec:4 fail the regex (case-
        # sensitive, 16 characters), other.evtx is not the Security channel.
        self.assertEqual(self.hits_of(4), [(SEC, 1)])

    def test_event_data_beats_system_on_case_collision(self):
        self.assertEqual(self.hits_of(5), [(SEC, 5)])

    def test_empty_string_is_null(self):
        # line 3 has no referer: hit; line 4 has one: miss.
        self.assertEqual(self.hits_of(7), [(WEB, 3)])

    def test_no_other_hits(self):
        self.assertEqual({r for r, _, _ in self.hits}, {rid(n) for n in (1, 3, 4, 5, 7)})
        self.assertEqual(len(self.hits), 5)


class ProxyOptIn(unittest.TestCase):
    """The mapping file's opt-in for forward-proxy rules on web logs."""

    def test_proxy_names_read_web_fields(self):
        text = refmap.HABOOB_MAPPING.read_text(encoding="utf-8")
        text += '\n[[source]]\ncategory = "proxy"\nfamily = "web"\n'
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write(text)
        mapping = refmap.load_mapping(f.name)
        pathlib.Path(f.name).unlink()
        db, _ = load_events()
        rules = list(convert.convert([str(HERE / "rules")], mapping))
        _, hits = run_ref.run(rules, db)
        # line 3 ends with /shell.php; line 4 (/shell.php.bak) does not.
        self.assertEqual(sorted((f, n) for r, f, n in hits if r == rid(2)), [(WEB, 3)])


class MappingOptions(unittest.TestCase):
    """Variants, channel and event ID conditions, renames of haboob's mapping."""

    MAPPING = """
[[source]]
product = "windows"
service = "security"
family = "windows"
[[source.variant]]
channel = ["Security"]
rename = { targetusername = RENAME }
[[source.variant]]
channel = ["Microsoft-Windows-Other/Operational"]
eventid = [4625]
"""

    def hits(self, rename: str):
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write(self.MAPPING.replace("RENAME", rename))
        mapping = refmap.load_mapping(f.name)
        pathlib.Path(f.name).unlink()
        db, _ = load_events()
        rules = list(convert.convert([str(HERE / "rules" / "win_failed_network.yml")], mapping))
        _, hits = run_ref.run(rules, db)
        return [(f, n) for _, f, n in hits]

    def test_variants_and_renames(self):
        # Variant 1: the filter reads a field no event has, so sec:2 is no
        # longer filtered; variant 2 admits the other channel (other.evtx:1).
        self.assertEqual(
            self.hits('["NoSuchField"]'), [("/logs/other.evtx", 1), (SEC, 1), (SEC, 2)]
        )

    def test_rename_reads_the_first_name_the_event_has(self):
        self.assertEqual(
            self.hits('["NoSuchField", "TargetUserName"]'), [("/logs/other.evtx", 1), (SEC, 1)]
        )

    def test_lookup_is_exact_like_haboobs(self):
        m = refmap.load_mapping()
        self.assertIsNotNone(m.entry_for(None, "Windows", "Security"))
        # An entry covers the log source it names, not one with more keys.
        self.assertIsNone(m.entry_for("webserver", "nosuchproduct", None))

    def test_bad_mapping_says_where(self):
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write('[[source]]\ncategory = "x"\nfamily = "mainframe"\n')
        with self.assertRaisesRegex(refmap.MappingError, r"\[\[source\]\] #1: unknown family"):
            refmap.load_mapping(f.name)
        pathlib.Path(f.name).unlink()


class Correlation(unittest.TestCase):
    RULES = str(HERE / "correlation")

    def test_string_references_are_invalid_unless_fixed(self):
        recs = list(convert.convert([self.RULES], refmap.load_mapping()))
        self.assertEqual(
            sorted(r["status"] for r in recs), ["converted", "invalid"]
        )

    def test_event_count_hits_list_the_grouped_events(self):
        db, _ = load_events()
        recs = list(convert.convert([self.RULES], refmap.load_mapping(), fix_references=True))
        self.assertEqual([r.get("kind") for r in recs], [None, "correlation"])
        self.assertEqual(recs[0]["queries"], [])  # the base rule is not generated
        summary, hits = run_ref.run(recs, db)
        # alice fails at sec:1, sec:3, sec:4 (within a minute): one hit of three
        # events; svc_backup (sec:2) once; other.evtx is not the Security channel.
        self.assertEqual(
            hits,
            [(rid_c(1), SEC, 1), (rid_c(1), SEC, 3), (rid_c(1), SEC, 4)],
        )
        self.assertEqual(summary[1]["groups"], 1)
        self.assertEqual(summary[1]["group_keys"], [[["TargetUserName", "alice"]]])

    def test_groups_compared_case_insensitively_and_exactly(self):
        summary = {rid_c(1): {"rule_id": rid_c(1), "kind": "correlation", "status": "converted",
                              "title": "t", "group_keys": [[["TargetUserName", "alice"]]]}}
        same = {rid_c(1): {compare.group_key({"TargetUserName": "Alice"})}}
        extra = {rid_c(1): same[rid_c(1)] | {compare.group_key({"TargetUserName": "bob"})}}
        out = io.StringIO()
        self.assertEqual(compare.compare_groups(summary, same, {}, out=out), 0)
        self.assertEqual(compare.compare_groups(summary, extra, {}, out=out), 1)
        self.assertEqual(compare.compare_groups(summary, {}, {}, out=out), 1)
        self.assertEqual(compare.compare_groups(summary, {}, {rid_c(1): "why"}, out=out), 0)
        self.assertIn("only-haboob: {'TargetUserName': 'bob'}", out.getvalue())


def rid_c(n: int) -> str:
    return f"22222222-0000-4000-8000-{n:012d}"


class Placeholders(unittest.TestCase):
    RULES = str(HERE / "placeholder")

    def test_values_from_the_file_or_an_error(self):
        recs = list(convert.convert([self.RULES], refmap.load_mapping()))
        self.assertEqual(recs[0]["status"], "error")
        self.assertIn("SigmaPlaceholderError", recs[0]["error"])
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write('workstations = ["WKS-01", "WKS-02"]\n')
        values = refmap.load_placeholders(f.name)
        pathlib.Path(f.name).unlink()
        recs = list(convert.convert([self.RULES], refmap.load_mapping(), values))
        db, _ = load_events()
        _, hits = run_ref.run(recs, db)
        self.assertEqual([(f, n) for _, f, n in hits], [(SEC, 3)])


class Compare(unittest.TestCase):
    REF = {"a": {("f", 1), ("f", 2)}, "b": {("f", 3)}, "c": {("f", 4)}}

    def run_compare(self, hb, known, summary=None):
        out = io.StringIO()
        failures = compare.compare(self.REF, hb, known, summary or {}, 3, out=out)
        return failures, out.getvalue()

    def test_agreement(self):
        failures, text = self.run_compare(dict(self.REF), {})
        self.assertEqual(failures, 0)
        self.assertIn("3 rules agree with hits", text)

    def test_disagreements_fail_unless_known(self):
        hb = {"a": {("f", 1)}, "b": {("f", 3), ("f", 9)}, "c": {("f", 4)}}
        failures, text = self.run_compare(hb, {})
        self.assertEqual(failures, 2)
        self.assertIn("only-ref: f:2", text)
        self.assertIn("only-haboob: f:9", text)
        failures, text = self.run_compare(hb, {"a": "backend bug", "b": "backend bug"})
        self.assertEqual(failures, 0)
        self.assertIn("2 known disagreements", text)

    def test_known_that_agrees_is_reported(self):
        failures, text = self.run_compare(dict(self.REF), {"c": "stale"})
        self.assertEqual(failures, 0)
        self.assertIn("NOW-AGREES", text)

    def test_rule_without_reference_is_not_compared(self):
        hb = dict(self.REF, d={("f", 5)})
        failures, text = self.run_compare(hb, {}, {"d": {"rule_id": "d", "status": "error"}})
        self.assertEqual(failures, 0)
        self.assertIn("NO-REF", text)
        failures, _ = self.run_compare(hb, {})
        self.assertEqual(failures, 1)

    def test_rule_outside_the_reference_set_is_listed_not_failed(self):
        summary = {k: {"rule_id": k, "status": "converted"} for k in self.REF}
        hb = dict(self.REF, **{"web.scan": {("f", 7)}})
        failures, text = self.run_compare(hb, {}, summary)
        self.assertEqual(failures, 0)
        self.assertIn("NOT-IN-REF web.scan", text)

    def test_ecs_names_are_read(self):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write('{"rule.id":"a","log.file.path":"/x/../f","log.line":1}\n')
        self.assertEqual(compare.load_hits(f.name), {"a": {("/f", 1)}})
        pathlib.Path(f.name).unlink()

    def test_loading_differences(self):
        summary = {
            "a": {"rule_id": "a", "status": "converted"},
            "b": {"rule_id": "b", "status": "unmapped"},
            "c": {"rule_id": "c", "status": "error", "error": "SigmaPlaceholderError: x"},
        }
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("r/a.yml: rule a: unsupported: logsource product=x (not mapped)\n")
            f.write("r/c.yml: rule c: unsupported: placeholder %x% has no values\n")
        check = compare.load_check(f.name)
        pathlib.Path(f.name).unlink()
        self.assertEqual(sorted(check), ["a", "c"])
        out = io.StringIO()
        # a: the reference loads it, haboob does not; b: the other way round.
        self.assertEqual(compare.compare_loading(summary, check, {}, out=out), 2)
        self.assertIn("LOADING    a", out.getvalue())
        self.assertIn("LOADING    b", out.getvalue())
        self.assertEqual(compare.compare_loading(summary, check, {"a": "r", "b": "r"}, out=out), 0)

    def test_malformed_hit_line_is_an_input_error(self):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write('{"rule_id":"a","file":"f","line":1}\n{"rule_id":"a","file":"f"}\n')
        with self.assertRaisesRegex(compare.InputError, r":2: needs rule_id"):
            compare.load_hits(f.name)
        pathlib.Path(f.name).unlink()


if __name__ == "__main__":
    unittest.main()
