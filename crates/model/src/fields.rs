//! ECS field names used in output and in field maps. One place, so that a
//! rename is one edit.

/// Event time.
pub const TIMESTAMP: &str = "@timestamp";
/// Client address.
pub const SOURCE_IP: &str = "source.ip";
/// URL path without query.
pub const URL_PATH: &str = "url.path";
/// URL query without the leading `?`.
pub const URL_QUERY: &str = "url.query";
/// HTTP method.
pub const HTTP_METHOD: &str = "http.request.method";
/// HTTP status code.
pub const HTTP_STATUS: &str = "http.response.status_code";
/// Response body size in bytes.
pub const HTTP_BYTES: &str = "http.response.body.bytes";
/// Referrer header.
pub const HTTP_REFERRER: &str = "http.request.referrer";
/// User-Agent header.
pub const USER_AGENT: &str = "user_agent.original";
/// The site (virtual host) that served the request.
pub const DESTINATION_DOMAIN: &str = "destination.domain";
/// Dataset, e.g. `web.combined`, `auth.entra`.
pub const EVENT_DATASET: &str = "event.dataset";
/// Outcome (`success` / `failure`).
pub const EVENT_OUTCOME: &str = "event.outcome";
/// User name.
pub const USER_NAME: &str = "user.name";
/// User domain or tenant.
pub const USER_DOMAIN: &str = "user.domain";
/// Input file path.
pub const LOG_FILE_PATH: &str = "log.file.path";
/// Line (or record) number within the file, 1-based.
pub const LOG_LINE: &str = "log.line";
