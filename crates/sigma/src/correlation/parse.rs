//! Reading one correlation document (`correlation:` section) into a
//! [`CorrelationRule`], with a precise reason for every refusal.

use super::{Alias, Condition, CorrelationRule, CorrelationType, Timespan};
use crate::LoadError;
use serde_yaml_ng::{Mapping, Value};
use std::path::Path;

/// Longest title the specification allows.
const MAX_TITLE: usize = 256;
/// Longest `timespan` text the schema allows.
const MAX_TIMESPAN: usize = 10;

/// Parses one YAML document holding a correlation rule.
///
/// Keys the specification does not define (Hayabusa's `ruletype`,
/// `sample-evtx`, …) are ignored; a document without a `correlation`
/// section, a missing or malformed required key, an unknown type, a bad
/// timespan or condition is [`LoadError::Invalid`] with the key and the
/// reason. A string (boolean expression) `condition`, which pySigma reads
/// for temporal types but the specification does not define, is
/// [`LoadError::Unsupported`].
pub fn parse(doc: &Value, path: &Path) -> Result<CorrelationRule, LoadError> {
    let label = doc
        .get("id")
        .and_then(Value::as_str)
        .or_else(|| doc.get("title").and_then(Value::as_str))
        .unwrap_or("(no id)")
        .to_owned();
    let invalid = |reason: String| LoadError::Invalid {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        reason,
    };
    let top = doc
        .as_mapping()
        .ok_or_else(|| invalid(format!("a rule is a mapping, found {}", kind_of(doc))))?;
    let title = match top.get("title") {
        None => return Err(invalid("`title` is missing".into())),
        Some(v) => string(v, "title").map_err(invalid)?,
    };
    if title.len() > MAX_TITLE {
        return Err(invalid(format!(
            "`title` is {} bytes long, at most {MAX_TITLE} are allowed",
            title.len()
        )));
    }
    let id = opt_string(top, "id").map_err(invalid)?;
    let name = opt_string(top, "name").map_err(invalid)?;
    let status = opt_string(top, "status").map_err(invalid)?;
    if let Some(s) = &status {
        const STATUS: &[&str] = &[
            "stable",
            "test",
            "experimental",
            "deprecated",
            "unsupported",
        ];
        if !STATUS.contains(&s.as_str()) {
            return Err(invalid(format!(
                "`status: {}` is not one of {}",
                printable(s),
                STATUS.join(", ")
            )));
        }
    }
    let level = opt_string(top, "level").map_err(invalid)?;
    if let Some(l) = &level {
        const LEVELS: &[&str] = &["informational", "low", "medium", "high", "critical"];
        if !LEVELS.contains(&l.as_str()) {
            return Err(invalid(format!(
                "`level: {}` is not one of {}",
                printable(l),
                LEVELS.join(", ")
            )));
        }
    }
    let tags = match top.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => strings(v, "tags").map_err(invalid)?,
    };
    let corr = match top.get("correlation") {
        None => {
            return Err(invalid(
                "no `correlation` section: not a correlation rule".into(),
            ))
        }
        Some(Value::Mapping(m)) => m,
        Some(v) => {
            return Err(invalid(format!(
                "`correlation` is a mapping, found {}",
                kind_of(v)
            )))
        }
    };
    for key in corr.keys() {
        let known = key.as_str().is_some_and(|k| {
            matches!(
                k,
                "type" | "rules" | "group-by" | "timespan" | "condition" | "aliases" | "generate"
            )
        });
        if !known {
            tracing::debug!(path = %path.display(), key = ?key, "correlation: key not in the specification, ignored");
        }
    }
    let kind = match corr.get("type") {
        None => return Err(invalid("`correlation.type` is missing".into())),
        Some(v) => {
            correlation_type(&string(v, "correlation.type").map_err(invalid)?).map_err(invalid)?
        }
    };
    let rules = match corr.get("rules") {
        None | Some(Value::Null) => {
            return Err(invalid("`correlation.rules` is missing".into()));
        }
        Some(Value::String(s)) => vec![s.clone()],
        Some(v) => strings(v, "correlation.rules").map_err(invalid)?,
    };
    if rules.is_empty() {
        return Err(invalid("`correlation.rules` is empty".into()));
    }
    if let Some(i) = rules.iter().position(String::is_empty) {
        return Err(invalid(format!(
            "`correlation.rules` item {} is empty",
            i + 1
        )));
    }
    unique(&rules, "correlation.rules").map_err(invalid)?;
    let group_by = match corr.get("group-by") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(v) => strings(v, "correlation.group-by").map_err(invalid)?,
    };
    unique(&group_by, "correlation.group-by").map_err(invalid)?;
    let timespan = match corr.get("timespan") {
        None => return Err(invalid("`correlation.timespan` is missing".into())),
        Some(v) => timespan(v).map_err(invalid)?,
    };
    let condition = match corr.get("condition") {
        None | Some(Value::Null) if kind.is_temporal() => Condition {
            gte: Some(rules.len() as f64),
            ..Condition::default()
        },
        None | Some(Value::Null) => {
            return Err(invalid(format!(
                "`correlation.condition` is missing (required for {})",
                kind.as_str()
            )))
        }
        Some(Value::String(_)) if kind.is_temporal() => {
            return Err(LoadError::Unsupported {
                path: path.to_path_buf(),
                rule: label,
                feature: "a boolean-expression `correlation.condition` (not in the Sigma \
                          correlation specification 2.1)"
                    .into(),
            })
        }
        Some(Value::Mapping(m)) => condition(m, kind).map_err(invalid)?,
        Some(v) => {
            return Err(invalid(format!(
                "`correlation.condition` is a mapping of gt/gte/lt/lte/eq/neq/field, found {}",
                kind_of(v)
            )))
        }
    };
    let aliases = match corr.get("aliases") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Mapping(m)) => aliases(m, &rules).map_err(invalid)?,
        Some(v) => {
            return Err(invalid(format!(
                "`correlation.aliases` is a mapping, found {}",
                kind_of(v)
            )))
        }
    };
    let generate = match corr.get("generate") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            return Err(invalid(format!(
                "`correlation.generate` is true or false, found {}",
                kind_of(v)
            )))
        }
    };
    Ok(CorrelationRule {
        path: path.to_path_buf(),
        id,
        name,
        title,
        status,
        level,
        tags,
        kind,
        rules,
        group_by,
        timespan,
        condition,
        aliases,
        generate,
    })
}

fn correlation_type(s: &str) -> Result<CorrelationType, String> {
    Ok(match s {
        "event_count" => CorrelationType::EventCount,
        "value_count" => CorrelationType::ValueCount,
        "temporal" => CorrelationType::Temporal,
        "temporal_ordered" => CorrelationType::TemporalOrdered,
        "value_sum" => CorrelationType::ValueSum,
        "value_avg" => CorrelationType::ValueAvg,
        "value_percentile" => CorrelationType::ValuePercentile,
        _ => {
            return Err(format!(
                "`correlation.type: {}` is not one of event_count, value_count, temporal, \
                 temporal_ordered, value_sum, value_avg, value_percentile",
                printable(s)
            ))
        }
    })
}

/// `<number><unit>`, unit one of s, m, h, d (and w, as pySigma reads it).
fn timespan(v: &Value) -> Result<Timespan, String> {
    let spec = string(v, "correlation.timespan")?;
    let bad = |why: &str| {
        format!(
            "`correlation.timespan: {}` {why}: a number followed by s, m, h or d (`90m`)",
            printable(&spec)
        )
    };
    if spec.len() > MAX_TIMESPAN {
        return Err(bad("is too long"));
    }
    let Some(unit) = spec.chars().last() else {
        return Err(bad("is empty"));
    };
    let digits = &spec[..spec.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("is not"));
    }
    let unit_ms: i64 = match unit {
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        'w' => 604_800_000,
        _ => return Err(bad("has an unknown unit")),
    };
    let n: i64 = digits.parse().map_err(|_| bad("is out of range"))?;
    if n == 0 {
        return Err(bad("is zero"));
    }
    let ms = n
        .checked_mul(unit_ms)
        .ok_or_else(|| bad("is out of range"))?;
    Ok(Timespan { spec, ms })
}

fn condition(m: &Mapping, kind: CorrelationType) -> Result<Condition, String> {
    let mut c = Condition::default();
    let mut ops = 0;
    for (k, v) in m {
        let Some(key) = k.as_str() else {
            return Err(format!(
                "`correlation.condition`: a key is {}, expected gt/gte/lt/lte/eq/neq/field",
                kind_of(k)
            ));
        };
        let slot = match key {
            "gt" => &mut c.gt,
            "gte" => &mut c.gte,
            "lt" => &mut c.lt,
            "lte" => &mut c.lte,
            "eq" => &mut c.eq,
            "neq" => &mut c.neq,
            "field" => {
                c.field = match v {
                    Value::String(s) => vec![s.clone()],
                    _ => strings(v, "correlation.condition.field")?,
                };
                if c.field.is_empty() {
                    return Err("`correlation.condition.field` is empty".into());
                }
                continue;
            }
            _ => {
                return Err(format!(
                    "`correlation.condition.{}` is not one of gt, gte, lt, lte, eq, neq, field",
                    printable(key)
                ))
            }
        };
        let n = match v {
            Value::Number(n) => n.as_f64().filter(|f| f.is_finite()),
            _ => None,
        };
        let Some(n) = n else {
            return Err(format!(
                "`correlation.condition.{key}` is a number, found {}",
                kind_of(v)
            ));
        };
        *slot = Some(n);
        ops += 1;
    }
    if ops == 0 {
        return Err(
            "`correlation.condition` has no bound (one or more of gt, gte, lt, lte, eq, neq)"
                .into(),
        );
    }
    if kind.needs_field() && c.field.is_empty() {
        return Err(format!(
            "`correlation.condition.field` is missing (required for {})",
            kind.as_str()
        ));
    }
    if !kind.needs_field() && !c.field.is_empty() {
        return Err(format!(
            "`correlation.condition.field` does not apply to {} (only to the value_* types)",
            kind.as_str()
        ));
    }
    Ok(c)
}

fn aliases(m: &Mapping, rules: &[String]) -> Result<Vec<Alias>, String> {
    let mut out = Vec::with_capacity(m.len());
    for (k, v) in m {
        let name = string(k, "correlation.aliases")?;
        let Value::Mapping(per_rule) = v else {
            return Err(format!(
                "`correlation.aliases.{}` maps rule names to field names, found {}",
                printable(&name),
                kind_of(v)
            ));
        };
        let mut fields = Vec::with_capacity(per_rule.len());
        for (r, f) in per_rule {
            let what = format!("correlation.aliases.{}", printable(&name));
            let rule = string(r, &what)?;
            if !rules.contains(&rule) {
                return Err(format!(
                    "`{what}`: `{}` is not one of `correlation.rules`",
                    printable(&rule)
                ));
            }
            fields.push((rule, string(f, &what)?));
        }
        out.push(Alias { name, fields });
    }
    Ok(out)
}

fn unique(items: &[String], what: &str) -> Result<(), String> {
    for (i, a) in items.iter().enumerate() {
        if items[..i].contains(a) {
            return Err(format!("`{what}` lists `{}` twice", printable(a)));
        }
    }
    Ok(())
}

fn opt_string(m: &Mapping, key: &str) -> Result<Option<String>, String> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => string(v, key).map(Some),
    }
}

fn string(v: &Value, what: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        _ => Err(format!("`{what}` is a string, found {}", kind_of(v))),
    }
}

fn strings(v: &Value, what: &str) -> Result<Vec<String>, String> {
    let Value::Sequence(items) = v else {
        return Err(format!(
            "`{what}` is a list of strings, found {}",
            kind_of(v)
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => Ok(s.clone()),
            _ => Err(format!(
                "`{what}` item {} is a string, found {}",
                i + 1,
                kind_of(item)
            )),
        })
        .collect()
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Rule text in a message: at most 80 characters, control characters
/// escaped.
fn printable(s: &str) -> String {
    let mut out: String = s.chars().take(80).flat_map(char::escape_debug).collect();
    if s.chars().nth(80).is_some() {
        out.push('…');
    }
    out
}
