//! Windows event XML text read into the JSON shape the EVTX reader renders
//! (the `evtx` crate with attributes inline), so [`crate::WinView`] answers
//! the same names for an event whichever way it was logged:
//!
//! - an element with text only is its text; an empty one without
//!   attributes is `null`;
//! - an element with attributes or children is an object: attributes under
//!   `#attributes`, children by name, its text under `#text`;
//! - `<Data Name="X">v</Data>` is the member `X` of its parent;
//!   unnamed `<Data>` values are the member `Data`: the value when there is
//!   one, `{"#text": [..]}` when there are several (an empty one as `""`);
//! - a repeated child name keeps its values as a list.
//!
//! Values are strings: XML text carries no types.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{Map, Value};

/// Deepest element nesting read (an event is 4 or 5 deep).
const MAX_DEPTH: usize = 32;

/// One open element.
#[derive(Default)]
struct Frame {
    name: String,
    /// The `Name` attribute of a `<Data>`.
    data_name: Option<String>,
    attrs: Map<String, Value>,
    children: Map<String, Value>,
    unnamed: Vec<String>,
    text: String,
}

fn open(e: &BytesStart<'_>) -> Option<Frame> {
    let name = std::str::from_utf8(e.name().as_ref()).ok()?.to_owned();
    let mut f = Frame {
        name,
        ..Frame::default()
    };
    for a in e.attributes() {
        let a = a.ok()?;
        let key = std::str::from_utf8(a.key.as_ref()).ok()?.to_owned();
        let value = a.unescape_value().ok()?.into_owned();
        if f.name == "Data" && key == "Name" {
            f.data_name = Some(value);
        } else {
            f.attrs.insert(key, Value::String(value));
        }
    }
    Some(f)
}

fn insert(children: &mut Map<String, Value>, key: String, v: Value) {
    match children.get_mut(&key) {
        None => {
            children.insert(key, v);
        }
        Some(Value::Array(a)) => a.push(v),
        Some(prev) => {
            let first = prev.take();
            *prev = Value::Array(vec![first, v]);
        }
    }
}

/// Close `f` into its parent.
fn close(mut f: Frame, parent: &mut Frame) {
    let container = !f.children.is_empty() || !f.unnamed.is_empty();
    let text = if f.text.is_empty() || (container && f.text.trim().is_empty()) {
        Value::Null
    } else {
        Value::String(std::mem::take(&mut f.text))
    };
    if f.name == "Data" && f.attrs.is_empty() && f.children.is_empty() {
        match f.data_name.take() {
            Some(n) => insert(&mut parent.children, n, text),
            None => parent
                .unnamed
                .push(text.as_str().unwrap_or_default().to_owned()),
        }
        return;
    }
    match f.unnamed.len() {
        0 => {}
        1 => {
            let v = f.unnamed.remove(0);
            let v = if v.is_empty() {
                Value::Null
            } else {
                Value::String(v)
            };
            insert(&mut f.children, "Data".into(), v);
        }
        _ => {
            let list = std::mem::take(&mut f.unnamed);
            let list = Value::Array(list.into_iter().map(Value::String).collect());
            let mut m = Map::new();
            m.insert("#text".into(), list);
            insert(&mut f.children, "Data".into(), Value::Object(m));
        }
    }
    let v = if f.attrs.is_empty() && f.children.is_empty() {
        text
    } else {
        let mut m = Map::new();
        if !f.attrs.is_empty() {
            m.insert("#attributes".into(), Value::Object(f.attrs));
        }
        m.extend(f.children);
        if !text.is_null() {
            m.insert("#text".into(), text);
        }
        Value::Object(m)
    };
    insert(&mut parent.children, f.name, v);
}

/// `{"Event": …}` of one `<Event>` element; `None` when the text is not
/// well-formed XML with one root element.
pub(crate) fn event_doc(xml: &str) -> Option<Value> {
    // Text is kept as written (a value's spaces are data); the layout
    // between elements is dropped in `close`.
    let mut r = Reader::from_str(xml.trim_start_matches('\u{feff}').trim());
    let mut stack: Vec<Frame> = vec![Frame::default()];
    let mut closed_root = false;
    loop {
        match r.read_event().ok()? {
            Event::Start(e) => {
                if closed_root || stack.len() > MAX_DEPTH {
                    return None;
                }
                stack.push(open(&e)?);
            }
            Event::Empty(e) => {
                if closed_root {
                    return None;
                }
                let f = open(&e)?;
                close(f, stack.last_mut()?);
                closed_root = stack.len() == 1;
            }
            Event::Text(t) => {
                let t = t.unescape().ok()?;
                stack.last_mut()?.text.push_str(&t);
            }
            Event::CData(t) => {
                let t = std::str::from_utf8(&t).ok()?.to_owned();
                stack.last_mut()?.text.push_str(&t);
            }
            Event::End(_) => {
                let f = stack.pop()?;
                close(f, stack.last_mut()?);
                closed_root = stack.len() == 1;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let root = stack.pop()?;
    if stack.is_empty() && closed_root && root.children.len() == 1 {
        Some(Value::Object(root.children))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_evtx_json_shape() {
        let xml = r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="MSSQLSERVER" /><EventID Qualifiers="49152">18456</EventID><Security /><Execution ProcessID="4" ThreadID='8'/></System><EventData><Data>sa</Data><Data> Reason: x &amp; y</Data><Data></Data><Binary>00</Binary></EventData></Event>"#;
        assert_eq!(
            event_doc(xml),
            Some(json!({"Event": {
                "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
                "System": {
                    "Provider": {"#attributes": {"Name": "MSSQLSERVER"}},
                    "EventID": {"#attributes": {"Qualifiers": "49152"}, "#text": "18456"},
                    "Security": null,
                    "Execution": {"#attributes": {"ProcessID": "4", "ThreadID": "8"}},
                },
                "EventData": {"Binary": "00", "Data": {"#text": ["sa", " Reason: x & y", ""]}},
            }}))
        );
        let named = r#"<Event><EventData><Data Name="A">1</Data><Data Name="B"/></EventData><UserData><X><Y>z</Y><Y>w</Y></X></UserData></Event>"#;
        assert_eq!(
            event_doc(named),
            Some(json!({"Event": {
                "EventData": {"A": "1", "B": null},
                "UserData": {"X": {"Y": ["z", "w"]}},
            }}))
        );
    }

    #[test]
    fn not_one_well_formed_element() {
        for bad in [
            "",
            "<Event>",
            "<Event></Event><Event></Event>",
            "<Event><System></Event>",
            "text",
        ] {
            assert_eq!(event_doc(bad), None, "{bad}");
        }
        let deep = format!("<Event>{}{}</Event>", "<a>".repeat(40), "</a>".repeat(40));
        assert_eq!(event_doc(&deep), None);
        // Layout between elements is not text; a value's spaces are.
        assert_eq!(
            event_doc("<Event>\n  <EventData>\n    <Data Name=\"A\"> 1 </Data>\n  </EventData>\n</Event>\n"),
            Some(json!({"Event": {"EventData": {"A": " 1 "}}}))
        );
    }
}
