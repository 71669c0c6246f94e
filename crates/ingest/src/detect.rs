//! Format auto-detection over the first non-empty lines of an input.

use crate::{Format, JsonFieldMap};
use haboob_model::Parsed;

/// How many non-empty lines detection looks at.
pub(crate) const DETECT_LINES: usize = 32;

/// The format whose parser makes the most events of `lines` (fed in order,
/// so the IIS parser sees its `#Fields:` directive), then accepts the most
/// (events and directives); ties go to the earlier format in
/// [`Format::all`]. `None` when no parser accepts any line.
///
/// Events come first because a parser may accept what it does not
/// understand as a directive: the Google Workspace parser gathers
/// pretty-printed objects line by line and accepts every partial line, so on
/// the lines of a pretty-printed Entra ID array it "accepted" everything and
/// won over the Entra parser, which made no event of partial objects.
pub(crate) fn detect(lines: &[&str], json_fields: &JsonFieldMap) -> Option<Format> {
    let mut best: Option<(Format, (usize, usize))> = None;
    for &format in Format::all() {
        let mut parser = format.record_parser(json_fields);
        let (mut events, mut accepted) = (0, 0);
        for l in lines {
            match parser.parse_rec(l, None) {
                Ok(Parsed::Event(_) | Parsed::Both(..) | Parsed::Partial(..)) => {
                    (events, accepted) = (events + 1, accepted + 1)
                }
                Ok(Parsed::Directive) => accepted += 1,
                Err(_) => {}
            }
        }
        let better = match best {
            None => true,
            Some((_, score)) => (events, accepted) > score,
        };
        if accepted > 0 && better {
            best = Some((format, (events, accepted)));
        }
    }
    best.map(|(f, _)| f)
}

/// Comma-separated names of every format, for error messages.
pub(crate) fn tried() -> String {
    let names: Vec<&str> = Format::all().iter().map(|f| f.name()).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_best_parser() {
        let m = JsonFieldMap::default();
        let combined =
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "ua""#;
        let common = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1"#;
        let vhost = r#"a.example:80 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "ua""#;
        let json = r#"{"time_local":"10/Oct/2000:13:55:36 -0700","remote_addr":"1.2.3.4","request":"GET / HTTP/1.1","status":200}"#;
        assert_eq!(detect(&[combined, combined], &m), Some(Format::Combined));
        assert_eq!(
            detect(&[common, combined, common], &m),
            Some(Format::Common)
        );
        assert_eq!(detect(&[vhost, "junk"], &m), Some(Format::VhostCombined));
        assert_eq!(detect(&[json], &m), Some(Format::Json));
        assert_eq!(
            detect(
                &[
                    "#Software: IIS",
                    "#Fields: date time c-ip",
                    "2024-01-01 00:00:00 1.2.3.4"
                ],
                &m
            ),
            Some(Format::Iis)
        );
        assert_eq!(detect(&["hello", "world"], &m), None);
        // BunkerWeb: a request id before the user field; lines without one
        // are vhost-combined (the same event either way).
        let bunker = r#"a.example 1.2.3.4 - 5f0c1e - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "ua""#;
        assert_eq!(detect(&[bunker, vhost], &m), Some(Format::BunkerWeb));
        assert_eq!(detect(&[vhost, vhost], &m), Some(Format::VhostCombined));
        let zoraxy = "2025/05/01 14:14:02 [2025-05-01 14:14:02.417736] [router:host-http] [origin:a.example] [client: 1.2.3.4] [useragent: ua] GET / 200";
        let zoraxy_sys = "2025/05/01 14:14:01 [2025-05-01 14:14:01.000001] [system:info] Starting";
        assert_eq!(detect(&[zoraxy_sys, zoraxy], &m), Some(Format::Zoraxy));
        let traefik = r#"{"ClientHost":"1.2.3.4","DownstreamStatus":404,"RequestMethod":"GET","RequestPath":"/x","time":"2021-12-08T14:02:43Z"}"#;
        assert_eq!(detect(&[traefik], &m), Some(Format::Json));
        // An nginx error log is not Zoraxy (same Go-style date prefix).
        let ngx = r#"2021/09/30 09:23:53 [error] 1#1: *17 open() "/x" failed (2: No such file or directory), client: 1.2.3.4, server: _, request: "GET /x HTTP/1.1", host: "a""#;
        assert_eq!(detect(&[ngx], &m), Some(Format::ErrorLog));
    }

    #[test]
    fn mail_server_logs_are_sign_ins() {
        use haboob_signin::SigninFormat;
        let m = JsonFieldMap::default();
        let syslog = Some(Format::Signin(SigninFormat::Syslog));
        let exim = [
            "2022-06-29 16:04:05 dovecot_login authenticator failed for ([1.2.3.5]) [1.2.3.4]:55379: 535 Incorrect authentication data (set_id=info@test.com)",
            "2022-06-29 16:04:14 H=imfo.test.com [1.2.3.4]:35328 F=<a@b.c> rejected RCPT <d@e.f>: No Such User Here",
        ];
        assert_eq!(detect(&exim, &m), syslog);
        let zimbra = "2021-03-03 19:51:53,762 INFO  [qtp1-324:smtp://x:7073/service/admin/soap/] [oip=192.0.2.7;oproto=smtp;] SoapEngine - handler exception: authentication failed for [a], account not found";
        assert_eq!(detect(&[zimbra], &m), syslog);
        let exchange = "2022-07-20T21:12:06.270Z,EXCHANGE-1\\Default Frontend EXCHANGE-1,08DA4F7C11473A60,9,192.168.9.241:25,192.168.9.212:53722,>,535 5.7.3 Authentication unsuccessful,";
        assert_eq!(
            detect(&["#Software: Microsoft Exchange Server", exchange], &m),
            syslog
        );
        // IIS stays IIS; a web server's nginx error log is an error log (its
        // basic-auth failures are read there), not a mail log.
        let iis = [
            "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip sc-status",
            "2024-05-01 08:00:00 10.0.0.5 POST /EWS/Exchange.asmx - 443 alice 192.0.2.7 401",
        ];
        assert_eq!(detect(&iis, &m), Some(Format::Iis));
        let web_error = r#"2021/09/30 09:23:53 [error] 1#1: *17 user "foo" was not found in "/tmp/a.htpasswd", client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", host: "localhost""#;
        assert_eq!(detect(&[web_error], &m), Some(Format::ErrorLog));
    }

    #[test]
    fn linux_audit_and_sysmon_logs() {
        use haboob_signin::SigninFormat;
        let m = JsonFieldMap::default();
        let audit = [
            r#"type=SYSCALL msg=audit(1604996384.965:93777): arch=c000003e syscall=59 success=yes exit=0 items=2 ppid=29002 pid=2168 auid=1000 uid=1000 comm="dd" exe="/bin/dd" key=(null)"#,
            r#"type=EXECVE msg=audit(1604996384.965:93777): argc=4 a0="dd" a1="if=/dev/zero" a2="bs=1" a3="count=1""#,
            r#"node=web1 type=PROCTITLE msg=audit(1604996384.965:93777): proctitle=6464"#,
        ];
        assert_eq!(
            detect(&audit, &m),
            Some(Format::Signin(SigninFormat::Auditd))
        );
        // Sysmon for Linux lives in syslog, beside the sign-ins: `syslog`.
        let sysmon = r#"Mar  4 09:15:01 web1 sysmon: <Event><System><Provider Name="Linux-Sysmon"/><EventID>1</EventID><TimeCreated SystemTime="2026-03-04T09:15:01.101Z"/><Channel>Linux-Sysmon/Operational</Channel><Computer>web1</Computer></System><EventData><Data Name="Image">/usr/bin/id</Data></EventData></Event>"#;
        let sshd = "Mar  4 09:15:09 web1 sshd[1202]: Accepted publickey for deploy from 198.51.100.23 port 50022 ssh2";
        let syslog = Some(Format::Signin(SigninFormat::Syslog));
        assert_eq!(detect(&[sysmon, sysmon], &m), syslog);
        assert_eq!(detect(&[sshd, sysmon], &m), syslog);
        assert_eq!(detect(&[sshd, sshd], &m), syslog);
    }

    #[test]
    fn events_outrank_directives() {
        let m = JsonFieldMap::default();
        // Lines of a pretty-printed Entra ID array: the Google parser accepts
        // each as array punctuation or part of an object (directives), and
        // makes no event; it must not win over the parser that makes events
        // of the whole records.
        let pretty = [
            "[",
            "  {",
            r#"    "TimeGenerated": "2024-05-01T10:00:00Z","#,
            "  },",
        ];
        let entra = r#"{"TimeGenerated":"2024-05-01T10:00:00Z","UserPrincipalName":"a@b.example","IPAddress":"192.0.2.1","ResultType":"0"}"#;
        assert_eq!(
            detect(&pretty, &m),
            Some(Format::Signin(haboob_signin::SigninFormat::Google))
        );
        let mut mixed = pretty.to_vec();
        mixed.push(entra);
        assert_eq!(
            detect(&mixed, &m),
            Some(Format::Signin(haboob_signin::SigninFormat::Entra))
        );
    }
}
