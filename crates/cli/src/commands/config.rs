//! `haboob config`: the default configuration as commented TOML (comments
//! come from the config structs' doc comments, via their JSON schema), and
//! checking a file.

use crate::args::ConfigArgs;
use anyhow::{bail, Result};
use haboob_hunt::Config;
use serde_json::Value;
use std::fmt::Write;

fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        if let Some(name) = r.strip_prefix("#/$defs/") {
            if let Some(d) = root.get("$defs").and_then(|d| d.get(name)) {
                return d;
            }
        }
    }
    schema
}

fn comment(out: &mut String, text: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "# {line}").map(|_| ());
        if line.is_empty() {
            out.truncate(out.len() - 2);
            out.push('\n');
        }
    }
}

fn description<'a>(prop: &'a Value, root: &'a Value) -> Option<&'a str> {
    prop.get("description")
        .or_else(|| resolve(prop, root).get("description"))
        .and_then(Value::as_str)
}

fn render(table: &toml::Table, schema: &Value, root: &Value, path: &str, out: &mut String) {
    let props = resolve(schema, root).get("properties");
    let prop = |k: &str| props.and_then(|p| p.get(k)).unwrap_or(&Value::Null);
    for (k, v) in table.iter().filter(|(_, v)| !v.is_table()) {
        if let Some(d) = description(prop(k), root) {
            comment(out, d);
        }
        let mut one = toml::Table::new();
        one.insert(k.clone(), v.clone());
        out.push_str(&toml::to_string(&one).unwrap_or_default());
    }
    // Settings without a default (optional files and the like) are not in
    // the table: shown commented out, so that every setting is listed.
    let unset = props
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(k, _)| !table.contains_key(k.as_str()));
    for (k, p) in unset {
        if let Some(d) = description(p, root) {
            comment(out, d);
        }
        let ty = match resolve(p, root).get("type") {
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect::<Vec<_>>()
                .join(" or "),
            Some(Value::String(t)) => t.clone(),
            _ => "value".to_string(),
        };
        let _ = writeln!(out, "# {k} = ({ty}; not set by default)");
    }
    for (k, v) in table.iter() {
        if let toml::Value::Table(t) = v {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            out.push('\n');
            if let Some(d) = description(prop(k), root) {
                comment(out, d);
            }
            let _ = writeln!(out, "[{p}]");
            render(t, prop(k), root, &p, out);
        }
    }
}

/// The default configuration as commented TOML.
pub fn default_toml() -> Result<String> {
    let value = toml::Table::try_from(Config::default())?;
    let schema = serde_json::to_value(schemars::schema_for!(Config))?;
    let mut out = String::from(
        "# haboob configuration: what to detect and what to leave alone.\n\
         # Every key is optional: absent keys keep these defaults; unknown keys are errors.\n\
         # Use with: haboob hunt --config haboob.toml PATH...\n",
    );
    render(&value, &schema, &schema, "", &mut out);
    Ok(out)
}

/// `haboob config`.
pub fn run(a: &ConfigArgs) -> Result<u8> {
    if a.default {
        print!("{}", default_toml()?);
        return Ok(0);
    }
    if let Some(p) = &a.check {
        Config::load(p)?;
        eprintln!("{}: ok", p.display());
        return Ok(0);
    }
    bail!("nothing to do: use --default or --check FILE")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_toml_is_commented_and_parses_back_to_the_default() {
        let text = default_toml().unwrap();
        assert!(text.contains("[hunt]\n"), "{text}");
        assert!(
            text.contains("# Sources whose alerts are suppressed"),
            "{text}"
        );
        assert_eq!(Config::parse(&text, "default").unwrap(), Config::default());
        // Settings without a default are listed, commented out.
        for k in [
            "# crawler_rules = (string; not set by default)",
            "# extra_rules = (string; not set by default)",
        ] {
            assert!(text.contains(k), "{k}");
        }
        let sweep = &text[text.find("[web.sweep]\n").unwrap()..];
        let sweep = &sweep[..sweep.find("\n[").unwrap_or(sweep.len())];
        assert!(sweep.contains("# crawler_rules = "), "{sweep}");
        assert!(sweep.contains("# extra_rules = "), "{sweep}");
    }
}
