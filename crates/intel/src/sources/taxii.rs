//! A TAXII 2.1 client (blocking, ureq): discovery, API roots, collections,
//! objects with paging (`more` + `next`) and `added_after` for incremental
//! pulls, with basic or bearer authentication.
//!
//! The cursor of a pull is the `X-TAXII-Date-Added-Last` header of its last
//! page that had one; the next pull passes it as `added_after`, so a second
//! pull of an unchanged collection gets no objects. The objects go through
//! the STIX reader ([`crate::stix::import_objects`]).

use super::{Import, ImportOptions};
use crate::IntelError;
use serde_json::Value;
use std::io::Read;
use std::time::Duration;

/// TAXII 2.1 media type.
pub const TAXII_MEDIA: &str = "application/taxii+json;version=2.1";
/// Largest response body read, bytes.
pub const MAX_BODY_BYTES: u64 = 64 << 20;
/// Most pages one pull reads.
pub const MAX_PAGES: usize = 10_000;
/// Objects asked for per page.
pub const PAGE_LIMIT: usize = 1000;

/// How to authenticate.
#[derive(Clone, Default)]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// HTTP basic authentication.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { user, .. } => write!(f, "Basic({user}, ***)"),
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// A blocking HTTP client for TAXII and MISP feeds.
pub struct Http {
    agent: ureq::Agent,
    auth: Auth,
}

impl Http {
    /// A client with `auth` and 30 s timeouts.
    pub fn new(auth: Auth) -> Http {
        Http {
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(10))
                .timeout(Duration::from_secs(120))
                .user_agent(concat!("haboob/", env!("CARGO_PKG_VERSION")))
                .build(),
            auth,
        }
    }

    /// GET `url` as JSON with `accept`; the body and the
    /// `X-TAXII-Date-Added-Last` header.
    ///
    /// # Errors
    /// Transport failure, an HTTP error status (401/403/404 explained), a
    /// body that is not JSON or not of the expected media type.
    pub fn get_json(&self, url: &str, accept: &str) -> Result<(Value, Option<String>), IntelError> {
        let mut req = self.agent.get(url).set("Accept", accept);
        match &self.auth {
            Auth::None => {}
            Auth::Basic { user, password } => {
                use base64::Engine as _;
                let token =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                req = req.set("Authorization", &format!("Basic {token}"));
            }
            Auth::Bearer(t) => req = req.set("Authorization", &format!("Bearer {t}")),
        }
        let err = |reason: String| IntelError::Format {
            source_name: url.to_string(),
            reason,
        };
        let resp = match req.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(code, _)) => {
                let what = match code {
                    401 => "HTTP 401 Unauthorized: the server refused the credentials (wrong user, password or token, or none given)",
                    403 => "HTTP 403 Forbidden: these credentials may not read this resource",
                    404 => "HTTP 404 Not Found: no such API root, collection or feed at this URL",
                    406 => "HTTP 406 Not Acceptable: the server does not speak TAXII 2.1",
                    _ => "",
                };
                return Err(err(if what.is_empty() {
                    format!("HTTP {code}")
                } else {
                    what.to_string()
                }));
            }
            Err(ureq::Error::Transport(t)) => return Err(err(format!("cannot connect: {t}"))),
        };
        let ctype = resp.content_type().to_ascii_lowercase();
        if accept.contains("taxii") && !ctype.contains("taxii+json") && !ctype.contains("stix+json")
        {
            return Err(err(format!(
                "not TAXII content (Content-Type {:?}, expected {TAXII_MEDIA})",
                ctype.chars().take(80).collect::<String>()
            )));
        }
        let last = resp
            .header("X-TAXII-Date-Added-Last")
            .map(|s| s.chars().take(64).collect());
        let mut buf = Vec::new();
        resp.into_reader()
            .take(MAX_BODY_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|error| IntelError::Io {
                source_name: url.to_string(),
                error,
            })?;
        if buf.len() as u64 > MAX_BODY_BYTES {
            return Err(err(format!(
                "response larger than {} MiB",
                MAX_BODY_BYTES >> 20
            )));
        }
        let v = serde_json::from_slice(&buf).map_err(|e| err(format!("not JSON: {e}")))?;
        Ok((v, last))
    }
}

/// What a pull fetched.
#[derive(Debug, Default)]
pub struct Pull {
    /// Indicators and accounting.
    pub import: Import,
    /// Objects received (all types).
    pub objects: u64,
    /// Pages read.
    pub pages: usize,
    /// The cursor for the next pull (`added_after`), when the server gave one;
    /// else the `added_after` passed in.
    pub cursor: Option<String>,
    /// The collection's objects URL.
    pub url: String,
}

fn join(base: &str, rel: &str) -> String {
    if rel.starts_with("http://") || rel.starts_with("https://") {
        return rel.to_string();
    }
    if let Some(abs) = rel.strip_prefix('/') {
        // Server-relative: scheme://host + rel.
        if let Some((scheme, rest)) = base.split_once("://") {
            let host = rest.split('/').next().unwrap_or(rest);
            return format!("{scheme}://{host}/{abs}");
        }
    }
    format!("{}/{}", base.trim_end_matches('/'), rel)
}

fn with_slash(u: &str) -> String {
    if u.ends_with('/') {
        u.to_string()
    } else {
        format!("{u}/")
    }
}

/// The API root URLs under `url`: `url` itself when it is an API root, else
/// the discovery document's default root first, then the others.
fn api_roots(http: &Http, url: &str) -> Result<Vec<String>, IntelError> {
    let url = with_slash(url);
    let (v, _) = http.get_json(&url, TAXII_MEDIA)?;
    if let Some(roots) = v.get("api_roots").and_then(Value::as_array) {
        let mut out = Vec::new();
        if let Some(d) = v.get("default").and_then(Value::as_str) {
            out.push(with_slash(&join(&url, d)));
        }
        for r in roots.iter().filter_map(Value::as_str) {
            let r = with_slash(&join(&url, r));
            if !out.contains(&r) {
                out.push(r);
            }
        }
        return Ok(out);
    }
    if v.get("versions").is_some() || v.get("title").is_some() {
        return Ok(vec![url]);
    }
    Err(IntelError::Format {
        source_name: url,
        reason: "neither a TAXII 2.1 discovery document nor an API root".into(),
    })
}

/// Pull the objects of `collection` (id or title) from a TAXII 2.1 server
/// (`url` is the discovery URL or an API root), newer than `added_after`.
///
/// # Errors
/// The server cannot be reached, refuses the credentials, has no such
/// collection, the collection cannot be read, or a page is not TAXII.
pub fn pull(
    url: &str,
    collection: &str,
    auth: &Auth,
    added_after: Option<&str>,
    opts: &ImportOptions,
) -> Result<Pull, IntelError> {
    let http = Http::new(auth.clone());
    let mut found = None;
    for root in api_roots(&http, url)? {
        let curl = format!("{root}collections/");
        let (v, _) = match http.get_json(&curl, TAXII_MEDIA) {
            Ok(x) => x,
            Err(e) => {
                tracing::debug!(url = %curl, error = %e, "API root without readable collections.");
                continue;
            }
        };
        let hit = v
            .get("collections")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|c| {
                c.get("id").and_then(Value::as_str) == Some(collection)
                    || c.get("title").and_then(Value::as_str) == Some(collection)
            });
        if let Some(c) = hit {
            if c.get("can_read").and_then(Value::as_bool) == Some(false) {
                return Err(IntelError::Format {
                    source_name: curl,
                    reason: format!(
                        "collection {collection} cannot be read with these credentials"
                    ),
                });
            }
            let id = c
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or(collection)
                .to_string();
            found = Some(format!("{root}collections/{id}/objects/"));
            break;
        }
    }
    let Some(objects_url) = found else {
        return Err(IntelError::Format {
            source_name: url.to_string(),
            reason: format!("no collection {collection:?} in any API root"),
        });
    };
    let source = opts
        .source
        .clone()
        .unwrap_or_else(|| format!("taxii:{}", objects_url.trim_end_matches("/objects/")));
    let mut out = Pull {
        cursor: added_after.map(str::to_string),
        url: objects_url.clone(),
        ..Pull::default()
    };
    let mut next: Option<String> = None;
    loop {
        let mut q = format!("{objects_url}?limit={PAGE_LIMIT}");
        if let Some(a) = added_after {
            q.push_str("&added_after=");
            q.push_str(&encode(a));
        }
        if let Some(n) = &next {
            q.push_str("&next=");
            q.push_str(&encode(n));
        }
        let (page, last) = http.get_json(&q, TAXII_MEDIA)?;
        out.pages += 1;
        if let Some(l) = last {
            out.cursor = Some(l);
        }
        let objs = page
            .get("objects")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        out.objects += objs.len() as u64;
        out.import
            .extend(crate::stix::import_objects(objs, &q, &source, opts));
        let more = page.get("more").and_then(Value::as_bool).unwrap_or(false);
        next = page.get("next").and_then(Value::as_str).map(str::to_string);
        if !more || objs.is_empty() || out.pages >= MAX_PAGES {
            break;
        }
        if next.is_none() {
            // `more` without `next`: continue after the last date added.
            break;
        }
    }
    tracing::info!(url = %objects_url, objects = out.objects, pages = out.pages, "TAXII pull done.");
    Ok(out)
}

/// Percent-encode a query value.
fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
