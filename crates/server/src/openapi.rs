//! The OpenAPI 3.1 document of the API (hand-written; the tests check that
//! it lists exactly the routes the router serves).

use serde_json::{json, Value};

fn param(name: &str, place: &str, desc: &str, schema: Value) -> Value {
    json!({
        "name": name, "in": place, "required": place == "path",
        "description": desc, "schema": schema,
    })
}

fn q(name: &str, desc: &str, schema: Value) -> Value {
    param(name, "query", desc, schema)
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn ok(desc: &str, schema: Value) -> Value {
    json!({
        "200": { "description": desc, "content": { "application/json": { "schema": schema } } },
        "400": { "$ref": "#/components/responses/BadRequest" },
        "401": { "$ref": "#/components/responses/Unauthorized" },
        "403": { "$ref": "#/components/responses/Forbidden" },
        "404": { "$ref": "#/components/responses/NotFound" },
        "429": { "$ref": "#/components/responses/TooManyRequests" },
    })
}

fn get(summary: &str, params: Vec<Value>, resp: Value) -> Value {
    json!({ "get": { "summary": summary, "parameters": params, "responses": resp } })
}

fn page_params() -> Vec<Value> {
    vec![
        q(
            "limit",
            "Page size, 1 to 500 (default 50).",
            json!({"type": "integer", "minimum": 1, "maximum": 500}),
        ),
        q(
            "offset",
            "Rows to skip.",
            json!({"type": "integer", "minimum": 0}),
        ),
    ]
}

fn time_params() -> Vec<Value> {
    vec![
        q(
            "since",
            "Active at or after (RFC 3339).",
            json!({"type": "string", "format": "date-time"}),
        ),
        q(
            "until",
            "Active at or before (RFC 3339).",
            json!({"type": "string", "format": "date-time"}),
        ),
    ]
}

fn id_param(name: &str, what: &str) -> Value {
    param(
        name,
        "path",
        what,
        json!({"type": "string", "maxLength": 256}),
    )
}

fn severity() -> Value {
    q("severity", "At least this severity.", r("Severity"))
}

fn paths() -> Value {
    let mut campaigns = vec![
        severity(),
        q("sector", "Touching a target of this sector.", r("Sector")),
        q(
            "organisation",
            "Touching this organisation.",
            json!({"type": "string"}),
        ),
        q(
            "tool",
            "Naming this tool (a scanner or attack tool its requests named), exactly.",
            json!({"type": "string"}),
        ),
        q("status", "In this workflow status.", r("Status")),
        q(
            "include_superseded",
            "Include campaigns regrouped into others.",
            json!({"type": "boolean"}),
        ),
    ];
    campaigns.extend(time_params());
    campaigns.extend(page_params());
    let mut alerts = vec![
        q(
            "campaign",
            "Member of this campaign.",
            json!({"type": "string"}),
        ),
        q(
            "detector",
            "From this detector, e.g. web.scan.",
            json!({"type": "string"}),
        ),
        severity(),
        q(
            "source",
            "Source address or prefix, exact.",
            json!({"type": "string"}),
        ),
        q("target", "Target name, exact.", json!({"type": "string"})),
        q("user", "Account name, exact.", json!({"type": "string"})),
    ];
    alerts.extend(time_params());
    alerts.extend(page_params());
    let limit = q(
        "limit",
        "At most this many (default 100).",
        json!({"type": "integer", "minimum": 1, "maximum": 500}),
    );
    json!({
        "/campaigns": get("Campaigns, most severe then most recent first.", campaigns, ok("A page of campaigns.", r("CampaignPage"))),
        "/campaigns/{id}": get("One campaign with funnel, sources, targets, reasons, alerts, notes and notifications.",
            vec![id_param("id", "Campaign id.")], ok("The campaign.", r("CampaignDetail"))),
        "/campaigns/{id}/actions": { "post": {
            "summary": "Change status (new → triaged → notified → closed; closed → triaged reopens), assign, or add a note. Analyst role.",
            "parameters": [id_param("id", "Campaign id.")],
            "requestBody": { "required": true, "content": { "application/json": { "schema": r("Action") } } },
            "responses": {
                "200": { "description": "The campaign's new state.", "content": { "application/json": { "schema": r("CampaignState") } } },
                "400": { "$ref": "#/components/responses/BadRequest" },
                "401": { "$ref": "#/components/responses/Unauthorized" },
                "403": { "$ref": "#/components/responses/Forbidden" },
                "404": { "$ref": "#/components/responses/NotFound" },
                "409": { "description": "Not allowed by the workflow.", "content": { "application/json": { "schema": r("Error") } } },
                "413": { "description": "Body over 64 KiB.", "content": { "application/json": { "schema": r("Error") } } },
                "429": { "$ref": "#/components/responses/TooManyRequests" },
            },
        }},
        "/alerts": get("Alerts (without evidence), by first_seen.", alerts, ok("A page of alerts.", r("AlertPage"))),
        "/alerts/{id}": get("One alert with its evidence.", vec![id_param("id", "Alert id.")], ok("The alert.", r("Alert"))),
        "/alerts/{id}/evidence": get("The raw evidence lines of one alert, in stored order.",
            vec![id_param("id", "Alert id.")], ok("Evidence lines.", json!({"type": "array", "items": r("Evidence")}))),
        "/organisations": get("Every organisation seen in a campaign or declared in targets.", vec![],
            ok("Organisations.", json!({"type": "array", "items": r("OrganisationRow")}))),
        "/organisations/{name}": get("One organisation: campaigns, accounts and their stage, contacts, notifications.",
            vec![id_param("name", "Organisation name.")], ok("The organisation.", r("OrganisationDetail"))),
        "/audit": get("The audit trail of analyst actions, newest first. Admin role.", vec![
            q("campaign", "Of this campaign.", json!({"type": "string"})),
            q("actor", "By this token name.", json!({"type": "string"})),
            limit.clone(),
        ], ok("Audit entries.", json!({"type": "array", "items": r("AuditEntry")}))),
        "/notifications": get("Notifications, newest first.", vec![
            q("campaign", "About this campaign.", json!({"type": "string"})),
            q("organisation", "To this organisation.", json!({"type": "string"})),
            q("state", "In this delivery state.", json!({"enum": ["pending", "sent", "failed"]})),
            limit,
        ], ok("Notifications.", json!({"type": "array", "items": r("Notification")}))),
        "/openapi.json": get("This document.", vec![], ok("OpenAPI 3.1 document.", json!({"type": "object"}))),
    })
}

fn schemas() -> Value {
    let ts = json!({"type": "string", "format": "date-time"});
    let strings = json!({"type": "array", "items": {"type": "string"}});
    let count = json!({"type": "integer", "minimum": 0});
    json!({
        "Error": { "type": "object", "required": ["error"], "properties": { "error": {"type": "string"} } },
        "Severity": { "enum": ["low", "medium", "high", "critical"] },
        "Status": { "enum": ["new", "triaged", "notified", "closed"] },
        "Role": { "enum": ["viewer", "analyst", "admin"] },
        "Sector": { "enum": ["election", "news", "campaign", "government", "other"] },
        "Funnel": { "type": "object", "properties": {
            "attempts": count, "probed": count, "identified": count, "attacked": count, "compromised": count } },
        "Evidence": { "type": "object", "required": ["file", "line", "raw"], "properties": {
            "file": {"type": "string"}, "line": count, "raw": {"type": "string", "description": "The raw log line (at most 2 KiB)."} } },
        "AlertSource": { "type": "object", "properties": {
            "ip": {"type": "string"}, "prefix": {"type": "string"}, "members": strings } },
        "Alert": { "type": "object", "required": ["id", "detector", "title", "severity", "target", "first_seen", "last_seen", "count"], "properties": {
            "id": {"type": "string"}, "detector": {"type": "string"}, "title": {"type": "string"},
            "techniques": strings, "severity": r("Severity"), "source": r("AlertSource"),
            "target": {"type": "string"}, "user": {"type": "string"}, "first_seen": ts, "last_seen": ts,
            "count": count, "details": {"type": "object"},
            "evidence": {"type": "array", "items": r("Evidence")} } },
        "AlertPage": { "type": "object", "properties": {
            "items": {"type": "array", "items": r("Alert")}, "total": count,
            "next_offset": {"type": ["integer", "null"]} } },
        "Target": { "type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "organisation": {"type": "string"}, "sector": r("Sector"), "region": {"type": "string"} } },
        "Campaign": { "type": "object", "required": ["id", "summary", "severity"], "properties": {
            "id": {"type": "string"}, "summary": {"type": "string"}, "severity": r("Severity"),
            "sources": strings, "targets": {"type": "array", "items": r("Target")}, "alerts": strings,
            "detectors": strings, "techniques": strings, "reasons": strings, "first_seen": ts, "last_seen": ts,
            "funnel": r("Funnel"), "funnel_by_target": {"type": "object", "additionalProperties": r("Funnel")},
            "compromised": strings, "actors": strings,
            "attribution": {"type": "array", "description": "Candidate actors, best first; empty means unattributed.",
                "items": r("Attribution")},
            "stages": {"type": "array", "description": "Stages reached per site, in stage order.",
                "items": r("Stage")},
            "tools": {"type": "array", "description": "Scanner and attack tools the member alerts name, sorted.",
                "items": {"type": "string"}} } },
        "Stage": { "type": "object", "required": ["stage", "site", "first_seen"], "properties": {
            "stage": {"enum": ["reconnaissance", "exploitation_attempt", "exploitation_success", "collection", "defacement"]},
            "site": {"type": "string"}, "first_seen": ts, "evidence": strings } },
        "Attribution": { "type": "object", "required": ["actor", "confidence", "reasons"], "properties": {
            "actor": {"type": "string"}, "aliases": strings, "confidence": {"type": "integer", "minimum": 0, "maximum": 100},
            "reasons": {"type": "array", "items": { "type": "object", "required": ["kind", "text", "weight"], "properties": {
                "kind": {"enum": ["infrastructure", "technique", "targeting", "tooling", "timing"]},
                "text": {"type": "string"}, "weight": {"type": "integer"} } } } } },
        "CampaignState": { "type": "object", "properties": {
            "status": r("Status"), "assignee": {"type": ["string", "null"]}, "revision": {"type": "integer"},
            "updated_at": ts, "superseded_by": {"type": ["string", "null"]} } },
        "CampaignRow": { "type": "object", "properties": {
            "id": {"type": "string"}, "summary": {"type": "string"}, "severity": r("Severity"), "state": r("CampaignState"),
            "sources": count, "targets": strings, "organisations": strings, "alerts": count,
            "funnel": {"oneOf": [r("Funnel"), {"type": "null"}]}, "first_seen": ts, "last_seen": ts } },
        "CampaignPage": { "type": "object", "properties": {
            "items": {"type": "array", "items": r("CampaignRow")}, "total": count,
            "next_offset": {"type": ["integer", "null"]} } },
        "Note": { "type": "object", "properties": { "author": {"type": "string"}, "at": ts, "text": {"type": "string"} } },
        "Notification": { "type": "object", "properties": {
            "id": {"type": "integer"}, "campaign_id": {"type": "string"}, "revision": {"type": "integer"},
            "organisation": {"type": "string"}, "channel": {"type": "string"}, "address": {"type": "string"},
            "subject": {"type": "string"}, "body": {"type": "string"},
            "state": {"enum": ["pending", "sent", "failed"]}, "attempts": count, "next_attempt_at": ts,
            "last_error": {"type": ["string", "null"]}, "sent_at": {"type": ["string", "null"], "format": "date-time"} } },
        "CampaignDetail": { "type": "object", "properties": {
            "campaign": r("Campaign"), "state": r("CampaignState"), "alerts": {"type": "array", "items": r("Alert")},
            "notes": {"type": "array", "items": r("Note")}, "notifications": {"type": "array", "items": r("Notification")} } },
        "Action": { "oneOf": [
            { "type": "object", "required": ["action", "status"], "properties": {
                "action": {"const": "set_status"}, "status": r("Status") } },
            { "type": "object", "required": ["action"], "properties": {
                "action": {"const": "assign"}, "assignee": {"type": ["string", "null"], "maxLength": 256} } },
            { "type": "object", "required": ["action", "text"], "properties": {
                "action": {"const": "note"}, "text": {"type": "string", "maxLength": 8192} } },
        ] },
        "OrganisationRow": { "type": "object", "properties": {
            "name": {"type": "string"}, "sector": r("Sector"), "region": {"type": ["string", "null"]},
            "targets": strings, "campaigns": count, "max_severity": {"oneOf": [r("Severity"), {"type": "null"}]},
            "compromised": count } },
        "AccountRow": { "type": "object", "properties": {
            "user": {"type": "string"}, "stage": {"enum": ["identified", "attacked", "compromised"]}, "campaigns": strings } },
        "Contact": { "type": "object", "properties": {
            "organisation": {"type": "string"}, "channel": {"type": "string"}, "address": {"type": "string"} } },
        "OrganisationDetail": { "type": "object", "properties": {
            "row": r("OrganisationRow"), "campaigns": {"type": "array", "items": r("CampaignRow")},
            "accounts": {"type": "array", "items": r("AccountRow")}, "contacts": {"type": "array", "items": r("Contact")},
            "notifications": {"type": "array", "items": r("Notification")} } },
        "TokenAction": { "oneOf": [
            { "type": "object", "required": ["action", "name", "role"], "properties": {
                "action": {"const": "create_token"}, "name": {"type": "string"}, "role": r("Role") } },
            { "type": "object", "required": ["action", "name"], "properties": {
                "action": {"const": "revoke_token"}, "name": {"type": "string"} } },
        ] },
        "AuditEntry": { "type": "object", "properties": {
            "at": ts, "actor": {"type": "string"}, "role": r("Role"),
            "campaign": {"type": "string", "description": "empty for token administration"},
            "action": {"oneOf": [r("Action"), r("TokenAction")]} } },
    })
}

fn error_response(desc: &str) -> Value {
    json!({ "description": desc, "content": { "application/json": { "schema": r("Error") } } })
}

/// The OpenAPI 3.1 document served at `/api/v1/openapi.json`.
pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "haboob API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Campaigns, alerts, evidence, organisations, analyst actions and notifications from a haboob store. Every endpoint needs `Authorization: Bearer TOKEN` (tokens: `haboob token create`); roles viewer < analyst < admin. `GET /healthz` (outside this prefix) is the only anonymous route.",
        },
        "servers": [{ "url": "/api/v1" }],
        "security": [{ "bearer": [] }],
        "paths": paths(),
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas(),
            "responses": {
                "BadRequest": error_response("A parameter or the body is invalid; the message names it."),
                "Unauthorized": error_response("No token, or not a valid one."),
                "Forbidden": error_response("The token's role is too low."),
                "NotFound": error_response("No such object."),
                "TooManyRequests": {
                    "description": "Rate limited; see Retry-After.",
                    "headers": { "Retry-After": { "schema": {"type": "integer"} } },
                    "content": { "application/json": { "schema": r("Error") } },
                },
            },
        },
    })
}
