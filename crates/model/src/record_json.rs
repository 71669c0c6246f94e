//! The field view of a JSON record: its fields by their original paths
//! (`Status.errorCode`, `outcome.result`), as cloud sign-in rules name them.
//! The record is parsed on first use only, so events no rule looks into
//! cost nothing.

use crate::record::{FieldView, Value};
use std::borrow::Cow;
use std::cell::OnceCell;

/// A JSON record's fields, from its text.
#[derive(Debug, Clone)]
pub struct JsonView<'a> {
    raw: &'a str,
    /// `raw` is Windows event XML, read into the EVTX reader's JSON shape
    /// ([`WinView::from_xml`]).
    xml: bool,
    /// The record already parsed by its reader (the EVTX reader's value
    /// tree): answered from, `doc` never filled.
    tree: Option<&'a serde_json::Value>,
    doc: OnceCell<Option<serde_json::Value>>,
}

impl<'a> JsonView<'a> {
    /// A view of `raw`, one JSON object (not parsed yet).
    pub fn new(raw: &'a str) -> JsonView<'a> {
        JsonView {
            raw,
            xml: false,
            tree: None,
            doc: OnceCell::new(),
        }
    }

    fn doc(&self) -> Option<&serde_json::Value> {
        if let Some(t) = self.tree {
            return Some(t).filter(|d| d.is_object());
        }
        self.doc
            .get_or_init(|| {
                if self.xml {
                    crate::record_xml::event_doc(self.raw)
                } else {
                    serde_json::from_str(self.raw).ok()
                }
            })
            .as_ref()
            .filter(|d| d.is_object())
    }
}

/// The member `key` of `v`: exact, else the first whose name matches
/// ignoring ASCII case (exports differ: `status` in Graph, `Status` in Log
/// Analytics).
fn member<'v>(v: &'v serde_json::Value, key: &str) -> Option<&'v serde_json::Value> {
    let o = v.as_object()?;
    o.get(key).or_else(|| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The value at a dotted path; a top-level key that itself contains dots
/// is tried first.
fn lookup<'v>(doc: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    if let Some(v) = member(doc, path) {
        return Some(v);
    }
    path.split('.').try_fold(doc, member)
}

fn scalar(v: &serde_json::Value) -> Value<'_> {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::String(s) if s.is_empty() => Value::Null,
        serde_json::Value::String(s) => Value::Str(Cow::Borrowed(s)),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Str(Cow::Owned(n.to_string())),
        },
        serde_json::Value::Bool(b) => Value::from(if *b { "true" } else { "false" }),
        // Lists and objects as their compact JSON text, for now.
        other => Value::Str(Cow::Owned(other.to_string())),
    }
}

fn leaves(prefix: &mut String, v: &serde_json::Value, f: &mut dyn FnMut(&str, Value<'_>)) {
    match v {
        serde_json::Value::Object(o) => {
            for (k, child) in o {
                let len = prefix.len();
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(k);
                leaves(prefix, child, f);
                prefix.truncate(len);
            }
        }
        leaf => {
            let v = scalar(leaf);
            if v != Value::Null {
                f(prefix, v);
            }
        }
    }
}

impl FieldView for JsonView<'_> {
    fn field(&self, name: &str) -> Option<Value<'_>> {
        lookup(self.doc()?, name).map(scalar)
    }

    fn for_each_field(&self, f: &mut dyn FnMut(&str, Value<'_>)) {
        if let Some(d) = self.doc() {
            leaves(&mut String::new(), d, f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRA: &str = r#"{"createdDateTime":"2026-09-01T10:00:00Z","userPrincipalName":"a@x.example","appDisplayName":"Office 365 Exchange Online","ipAddress":"192.0.2.7","status":{"errorCode":50126,"failureReason":"Invalid username or password."},"location":{"city":"","countryOrRegion":"FR"},"isInteractive":true,"riskEventTypes_v2":["unfamiliarFeatures"],"deviceDetail":null,"a.b":"dotted key"}"#;

    #[test]
    fn paths_cases_and_types() {
        let v = JsonView::new(ENTRA);
        assert_eq!(v.field("status.errorCode"), Some(Value::Int(50126)));
        assert_eq!(v.field("Status.ErrorCode"), Some(Value::Int(50126)));
        assert_eq!(
            v.field("AppDisplayName"),
            Some(Value::from("Office 365 Exchange Online"))
        );
        assert_eq!(v.field("location.city"), Some(Value::Null));
        assert_eq!(v.field("deviceDetail"), Some(Value::Null));
        assert_eq!(v.field("isInteractive"), Some(Value::from("true")));
        assert_eq!(
            v.field("riskEventTypes_v2"),
            Some(Value::Str(Cow::Owned(r#"["unfamiliarFeatures"]"#.into())))
        );
        assert_eq!(v.field("a.b"), Some(Value::from("dotted key")));
        assert_eq!(v.field("status.nope"), None);
        assert_eq!(v.field("ipAddress.x"), None);
        assert_eq!(v.field("missing"), None);
    }

    #[test]
    fn not_an_object_has_no_fields() {
        for raw in ["", "[1,2]", "{\"a\":", "42", "not json"] {
            let v = JsonView::new(raw);
            assert_eq!(v.field("a"), None, "{raw}");
            let mut n = 0;
            v.for_each_field(&mut |_, _| n += 1);
            assert_eq!(n, 0, "{raw}");
        }
    }

    #[test]
    fn leaves_under_dotted_names() {
        let v = JsonView::new(ENTRA);
        let mut got = Vec::new();
        v.for_each_field(&mut |n, v| got.push(format!("{n}={v}")));
        assert!(
            got.contains(&"status.errorCode=50126".to_string()),
            "{got:?}"
        );
        assert!(got.contains(&"location.countryOrRegion=FR".to_string()));
        assert!(!got.iter().any(|g| g.starts_with("location.city")));
        assert!(!got.iter().any(|g| g.starts_with("deviceDetail")));
        assert_eq!(got.len(), 10, "{got:?}");
    }
}

/// The field view of a Windows event rendered as JSON (the EVTX reader's
/// record text): Sigma's flat names. `EventID`, `Channel`, `Computer`,
/// `Provider_Name`, … come from `System`; any other name is looked up in
/// `EventData`, then `System`, then the one element under `UserData`.
///
/// The record is parsed once, on the first field asked for (into a
/// `serde_json::Value`, kept in the view); a lookup then costs a few map
/// lookups (`Event`, the part, the member) and, for a name that is not
/// there exactly, a scan of the part's members ignoring ASCII case. Over
/// the EVTX reader's value tree ([`WinView::with_tree`]) the parts are
/// found when the view is made: a lookup is then the member lookups in them.
#[derive(Debug, Clone)]
pub struct WinView<'a>(JsonView<'a>, Option<Parts<'a>>);

/// The members of `Event` a lookup reads: `System`, `EventData` and the one
/// element under `UserData`. Found when the view is made over the reader's
/// value tree (a field lookup then costs one member lookup per part, not
/// three); kept as plain references, so that the view stays covariant.
#[derive(Debug, Clone, Copy, Default)]
struct Parts<'a> {
    system: Option<&'a serde_json::Value>,
    event_data: Option<&'a serde_json::Value>,
    user_data: Option<&'a serde_json::Value>,
}

impl<'a> Parts<'a> {
    fn of(doc: Option<&'a serde_json::Value>) -> Parts<'a> {
        let Some(event) = doc.and_then(|d| member(d, "Event")) else {
            return Parts::default();
        };
        Parts {
            system: member(event, "System"),
            event_data: member(event, "EventData"),
            user_data: member(event, "UserData")
                .and_then(serde_json::Value::as_object)
                .and_then(|o| o.values().next()),
        }
    }
}

/// Sigma's names for `System` members held in attributes.
const WIN_SYSTEM: &[(&str, &str)] = &[
    ("Provider_Name", "Provider.#attributes.Name"),
    ("Provider_Guid", "Provider.#attributes.Guid"),
    ("SystemTime", "TimeCreated.#attributes.SystemTime"),
    ("ProcessID", "Execution.#attributes.ProcessID"),
    ("ThreadID", "Execution.#attributes.ThreadID"),
    ("ActivityID", "Correlation.#attributes.ActivityID"),
    ("UserID", "Security.#attributes.UserID"),
];

/// A member with attributes renders as `{"#attributes":…, "#text": value}`:
/// its value is the text.
fn text_of(v: &serde_json::Value) -> &serde_json::Value {
    v.get("#text").unwrap_or(v)
}

impl<'a> WinView<'a> {
    /// A view of `raw`, one event as the EVTX reader renders it.
    pub fn new(raw: &'a str) -> WinView<'a> {
        WinView(JsonView::new(raw), None)
    }

    /// A view of `xml`, one `<Event>` element as Windows writes it (event
    /// XML text). It answers as [`WinView::new`] over the same event
    /// rendered by the EVTX reader: the XML is read into the same JSON
    /// shape (`<Data Name="X">` as `X`, attributes under `#attributes`,
    /// text beside them as `#text`, several unnamed `<Data>` as one list).
    /// Values are text: XML carries no types, so `EventID` is `"4625"`
    /// here where the EVTX record has the number 4625.
    pub fn from_xml(xml: &'a str) -> WinView<'a> {
        WinView(
            JsonView {
                raw: xml,
                xml: true,
                tree: None,
                doc: OnceCell::new(),
            },
            None,
        )
    }

    /// A view of one event as the EVTX reader renders it, already parsed:
    /// `tree` is the record's JSON value and `raw` its text (as
    /// [`WinView::new`] over `raw`, without parsing it again).
    pub fn with_tree(raw: &'a str, tree: &'a serde_json::Value) -> WinView<'a> {
        WinView(
            JsonView {
                raw,
                xml: false,
                tree: Some(tree),
                doc: OnceCell::new(),
            },
            Some(Parts::of(Some(tree).filter(|d| d.is_object()))),
        )
    }

    /// The record's text, as given.
    pub fn text(&self) -> &'a str {
        self.0.raw
    }

    /// Whether the text is event XML (else EVTX JSON).
    pub fn is_xml(&self) -> bool {
        self.0.xml
    }

    /// `System`, `EventData` and `UserData`'s element: kept in the view
    /// for a value tree, found again per call for a parsed text (whose
    /// document the view owns).
    fn parts(&self) -> Parts<'_> {
        match self.1 {
            Some(p) => p,
            None => Parts::of(self.0.doc()),
        }
    }
}

impl FieldView for WinView<'_> {
    fn field(&self, name: &str) -> Option<Value<'_>> {
        let parts = self.parts();
        let system = parts.system;
        // Sigma's System names as written (`ProcessID`) first; then the
        // record's own members, so that EventData's `ProcessId` (4648,
        // 4688) is not shadowed by System's `ProcessID`; then the System
        // names in any case.
        let sys = |exact: bool| {
            WIN_SYSTEM.iter().find(|(n, _)| {
                if exact {
                    *n == name
                } else {
                    n.eq_ignore_ascii_case(name)
                }
            })
        };
        if let Some((_, path)) = sys(true) {
            return lookup(system?, path).map(scalar);
        }
        let own = [parts.event_data, system, parts.user_data]
            .into_iter()
            .flatten()
            .find_map(|p| member(p, name))
            .map(|v| scalar(text_of(v)));
        own.or_else(|| lookup(system?, sys(false)?.1).map(scalar))
    }

    fn for_each_field(&self, f: &mut dyn FnMut(&str, Value<'_>)) {
        let parts = self.parts();
        let Some(system) = parts.system else {
            return;
        };
        if let Some(o) = system.as_object() {
            for (k, v) in o {
                let v = text_of(v);
                if !v.is_object() {
                    let v = scalar(v);
                    if v != Value::Null {
                        f(k, v);
                    }
                }
            }
        }
        for (name, path) in WIN_SYSTEM {
            if let Some(v) = lookup(system, path).map(scalar) {
                if v != Value::Null {
                    f(name, v);
                }
            }
        }
        for part in [parts.event_data, parts.user_data].into_iter().flatten() {
            if let Some(o) = part.as_object() {
                for (k, v) in o.iter().filter(|(k, _)| !k.starts_with('#')) {
                    let v = scalar(text_of(v));
                    if v != Value::Null {
                        f(k, v);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod win_tests {
    use super::*;

    const EV: &str = r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing","Guid":"54849625-5478-4994-A5BA-3E3B0328C30D"}},"EventID":4625,"Channel":"Security","Computer":"MSEDGEWIN10","TimeCreated":{"#attributes":{"SystemTime":"2020-09-09T13:18:23.627952Z"}},"Execution":{"#attributes":{"ProcessID":640,"ThreadID":684}}},"EventData":{"TargetUserName":"IEUser","Status":"0xc000006d","LogonType":2,"IpAddress":"-","WorkstationName":null}}}"##;

    #[test]
    fn sigma_names_of_system_and_event_data() {
        let v = WinView::new(EV);
        assert_eq!(v.field("EventID"), Some(Value::Int(4625)));
        assert_eq!(v.field("Channel"), Some(Value::from("Security")));
        assert_eq!(
            v.field("Provider_Name"),
            Some(Value::from("Microsoft-Windows-Security-Auditing"))
        );
        assert_eq!(v.field("ProcessID"), Some(Value::Int(640)));
        assert_eq!(v.field("TargetUserName"), Some(Value::from("IEUser")));
        assert_eq!(v.field("targetusername"), Some(Value::from("IEUser")));
        assert_eq!(v.field("LogonType"), Some(Value::Int(2)));
        assert_eq!(v.field("IpAddress"), Some(Value::from("-")));
        assert_eq!(v.field("WorkstationName"), Some(Value::Null));
        assert_eq!(v.field("CommandLine"), None);
        assert_eq!(v.field("UserID"), None);
    }

    #[test]
    fn event_data_process_id_is_not_shadowed_by_system_process_id() {
        let raw = r##"{"Event":{"System":{"EventID":4648,"Execution":{"#attributes":{"ProcessID":640}}},"EventData":{"ProcessId":"0x1f0","ProcessName":"C:\\x.exe"}}}"##;
        let v = WinView::new(raw);
        assert_eq!(v.field("ProcessId"), Some(Value::from("0x1f0")));
        assert_eq!(v.field("ProcessID"), Some(Value::Int(640)));
        // Another case of a System name, where EventData has none: System.
        assert_eq!(WinView::new(EV).field("processid"), Some(Value::Int(640)));
    }

    #[test]
    fn user_data_and_text_with_attributes() {
        let raw = r##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":49152},"#text":18456},"Channel":"Application"},"UserData":{"LogFileCleared":{"SubjectUserName":"admin"}}}}"##;
        let v = WinView::new(raw);
        assert_eq!(v.field("EventID"), Some(Value::Int(18456)));
        assert_eq!(v.field("SubjectUserName"), Some(Value::from("admin")));
        let mut got = Vec::new();
        v.for_each_field(&mut |n, v| got.push(format!("{n}={v}")));
        // Member order is the JSON map's (sorted, or as written when
        // serde_json keeps order): compare sorted.
        got.sort();
        assert_eq!(
            got,
            [
                "Channel=Application",
                "EventID=18456",
                "SubjectUserName=admin"
            ]
        );
    }

    #[test]
    fn a_parsed_tree_answers_as_its_text() {
        let tree: serde_json::Value = serde_json::from_str(EV).unwrap();
        let (t, v) = (WinView::with_tree(EV, &tree), WinView::new(EV));
        assert_eq!(t.text(), EV);
        assert!(!t.is_xml());
        for name in [
            "EventID",
            "ProcessID",
            "targetusername",
            "LogonType",
            "WorkstationName",
            "CommandLine",
        ] {
            assert_eq!(t.field(name), v.field(name), "{name}");
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        t.for_each_field(&mut |n, v| a.push(format!("{n}={v}")));
        v.for_each_field(&mut |n, v| b.push(format!("{n}={v}")));
        assert_eq!(a, b);
        assert_eq!(a.len(), 12);
        // Not an object: no fields, as for such a text.
        let odd = serde_json::Value::from(5);
        assert_eq!(WinView::with_tree("5", &odd).field("EventID"), None);
    }

    #[test]
    fn for_each_lists_flat_names() {
        let v = WinView::new(EV);
        let mut got = Vec::new();
        v.for_each_field(&mut |n, v| got.push(format!("{n}={v}")));
        got.sort();
        assert_eq!(
            got,
            [
                "Channel=Security",
                "Computer=MSEDGEWIN10",
                "EventID=4625",
                "IpAddress=-",
                "LogonType=2",
                "ProcessID=640",
                "Provider_Guid=54849625-5478-4994-A5BA-3E3B0328C30D",
                "Provider_Name=Microsoft-Windows-Security-Auditing",
                "Status=0xc000006d",
                "SystemTime=2020-09-09T13:18:23.627952Z",
                "TargetUserName=IEUser",
                "ThreadID=684",
            ]
        );
    }
}
