//! Helpers shared by the hand-written case files.

#![allow(dead_code)]

use haboob_model::{AuthEvent, EventRef, Parsed};
use haboob_signin::SigninFormat;

pub fn parse1(fmt: SigninFormat, line: &str) -> Result<Option<AuthEvent<'static>>, String> {
    let mut p = fmt.line_parser().unwrap();
    match p.parse(line) {
        Ok(Parsed::Event(EventRef::Auth(e))) => Ok(Some(owned(e))),
        Ok(_) => Ok(None),
        Err(e) => Err(e.reason.into_owned()),
    }
}

pub fn owned(e: AuthEvent<'_>) -> AuthEvent<'static> {
    AuthEvent {
        ts: e.ts,
        dataset: e.dataset,
        source_ip: e.source_ip,
        user: e.user.into_owned().into(),
        domain: e.domain.into_owned().into(),
        tenant: e.tenant.into_owned().into(),
        outcome: e.outcome,
        failure: e.failure,
        app: e.app.into_owned().into(),
        client: e.client.into_owned().into(),
        country: e.country.into_owned().into(),
        asn: e.asn,
        location: e.location,
    }
}

pub fn ev(fmt: SigninFormat, line: &str) -> AuthEvent<'static> {
    parse1(fmt, line).unwrap().expect("an event")
}

pub fn entra_flat(code: &str) -> String {
    format!(
        r#"{{"TimeGenerated":"2024-05-01T10:00:00.1234567Z","UserPrincipalName":"Bob@Example.org","IPAddress":"::ffff:198.51.100.7","ResultType":"{code}","AppDisplayName":"Office 365 Exchange Online","ClientAppUsed":"IMAP4","LocationDetails":{{"countryOrRegion":"NL"}},"AADTenantId":"t-1","AutonomousSystemNumber":64500}}"#
    )
}

pub fn m365(op: &str, extra: &str) -> String {
    format!(
        r#"{{"CreationTime":"2024-05-01T10:00:00","Id":"x","Operation":"{op}","OrganizationId":"org-1","RecordType":15,"ResultStatus":"Failed","UserId":"Dave@Contoso.com","Workload":"AzureActiveDirectory","ClientIP":"198.51.100.20","ExtendedProperties":[{{"Name":"UserAgent","Value":"UA/2"}}]{extra}}}"#
    )
}

pub fn okta(et: &str, result: &str, reason: &str) -> String {
    format!(
        r#"{{"published":"2024-05-01T10:00:00.000Z","eventType":"{et}","actor":{{"id":"00u1","alternateId":"Frank@Org.com"}},"client":{{"ipAddress":"192.0.2.44","userAgent":{{"rawUserAgent":"UA/3"}},"geographicalContext":{{"country":"Canada"}}}},"outcome":{{"result":"{result}","reason":"{reason}"}},"securityContext":{{"asNumber":64501}}}}"#
    )
}

pub fn google(name: &str, params: &str) -> String {
    format!(
        r#"{{"kind":"admin#reports#activity","id":{{"time":"2024-05-01T10:00:00.000Z","applicationName":"login","customerId":"C1"}},"actor":{{"email":"Gina@School.edu"}},"ipAddress":"203.0.113.77","events":[{{"type":"login","name":"{name}","parameters":[{params}]}}]}}"#
    )
}
