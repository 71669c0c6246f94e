//! Request classes of `web.exploit`: literal anchors found in one
//! Aho-Corasick pass over the normalised request target (lower-cased path and
//! query, percent-decoded once and twice, `+` as space in the query), each
//! confirmed by a cheap check on the bytes around it (or, for the one anchor
//! whose case matters, on the decoded target with its case kept, decoded
//! again only when that anchor is found).
//!
//! | class (`categories`) | anchors and check |
//! |---|---|
//! | `path_traversal` | `../`, `..\`, `..;/`, overlong UTF-8 dots (`%c0%ae`), IIS `%u002e`, `/etc/passwd`, `win.ini`, `/proc/self/`, `/web-inf/`, `/meta-inf/`; `file://` inside a parameter value |
//! | `php_wrapper` | `php://`, `expect://`, `phar://`, `data://`, `=data:`, `allow_url_include`; `zip://` in a value |
//! | `rfi` | a parameter value that is a remote URL to a `.txt` or ending in `?` |
//! | `ssrf` | in a parameter value: cloud metadata addresses (`169.254.169.254`, `metadata.google.internal`, `100.100.100.200`), `://localhost`, `://127.0.0.1`, `://[::1]`, `://0.0.0.0`, `gopher://`, `dict://` |
//! | `sqli` | `union select`, `sleep(`, `benchmark(`, `waitfor delay`, `extractvalue(`, `information_schema`, …; a quote followed by `or`/`and` and a value, `order by`, `--` or `#`; `/**/` next to an SQL word |
//! | `command_injection` | `;`, `\|`, `` ` ``, `$(`, `&&` or a newline followed by a shell command word (`id`, `uname`, `wget`, `curl`, `cat`, `nc`, `sh`, `powershell`, …) and a word end; `cmd.exe`, `cmd /c`, `/bin/sh`, `${ifs}` |
//! | `log4shell` | `${jndi:`, `${${`, `${lower:`, `${upper:`, `${env:` |
//! | `expression_injection` | code in a parameter (`<?php`, `<?=`, `<%=`); Text4Shell `${script:`/`${dns:`/`${url:`; `${…}`, `#{…}`, OGNL `%{…}` holding code (`(`, `*`, `@`, `#`, a quote); SSTI `{{…}}` holding code or `config`/`self`; `#_memberaccess`, `class.module.classloader`, `__import__`, … |
//! | `deserialization` | `rO0AB` (Java, base64: in that case exactly, also when percent-encoded as `%72O0AB`), `aced0005` (Java, hex), PHP `O:<n>:"`, `!!python/`, `java.lang.runtime`, `ysoserial` |
//! | `backdoor` | known web-shell names; a script (`.php`, `.jsp`, `.asp*`, …) in an upload or temp folder, or a shell-like script name in an image folder; a `cmd=`/`c=`/`exec=`/`command=` parameter of a script whose value is a shell command |
//! | `xss`, `shellshock`, `scanner_probe` | as before: `<script`, `onerror=`, …; `() {`; `w00tw00t` |
//!
//! Deliberate misses (tested): `/select-your-plan`, `?q=union+station`,
//! `/blog/curl-tips`, `/blog/powershell-tips`, `/static/app.bak.js`,
//! `?next=https://example.org/`, `?tags=a|cat|dog`, unresolved placeholders
//! such as `?utm={{campaign}}` or `${name}`, `/index.php?c=news`, `ro0ab`
//! in another case (`/b/oahxro0ab8.zip`, `?t=RO0AB`).

use super::lists::ExploitKind;
use super::request::cased_target;
use haboob_model::WebEvent;
use memchr::memmem;
use std::cell::OnceCell;

/// How an anchor is confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// The anchor alone is enough.
    Always,
    /// Inside a query parameter value.
    InValue,
    /// Followed by a shell command word.
    CmdWord,
    /// `?cmd=` and friends on a script, with a shell command as value.
    CmdParam,
    /// A script extension ending the path in an upload folder.
    UploadShell,
    /// `${`, `#{`, `%{` holding code.
    Expr,
    /// `{{` … `}}` holding code.
    Ssti,
    /// `o:` + digits + `:"`.
    PhpObject,
    /// `/**/` next to an SQL word.
    SqlComment,
    /// A quote followed by SQL grammar.
    Quote,
    /// The anchor is, in the decoded target with its case kept, exactly
    /// these bytes (the anchor's original case).
    Case(&'static [u8]),
}

/// The original bytes of the target an anchor was found in, for
/// [`Check::Case`]: decoded again with their case kept at most once per
/// target, and only when such an anchor is found.
pub(crate) struct Original<'a> {
    w: &'a WebEvent<'a>,
    twice: bool,
    cased: OnceCell<Vec<u8>>,
}

impl<'a> Original<'a> {
    /// The target of `w` as decoded once (or, `twice`, twice).
    pub(crate) fn new(w: &'a WebEvent<'a>, twice: bool) -> Self {
        Original {
            w,
            twice,
            cased: OnceCell::new(),
        }
    }

    /// Whether the bytes at `s..e` are `exact`, case included.
    fn is(&self, hay: &[u8], s: usize, e: usize, exact: &[u8]) -> bool {
        let cased = self.cased.get_or_init(|| cased_target(self.w, self.twice));
        debug_assert!(cased.eq_ignore_ascii_case(hay), "case-kept target differs");
        cased.get(s..e) == Some(exact)
    }
}

use Check::*;
use ExploitKind::*;

/// Class anchors (lower case, as the target they are matched in; raw bytes
/// for overlong UTF-8; [`Check::Case`] gives the case that counts).
pub(crate) const ANCHORS: &[(&[u8], ExploitKind, Check)] = &[
    // Traversal and local file inclusion.
    (b"../", Traversal, Always),
    (b"..\\", Traversal, Always),
    (b"..;/", Traversal, Always),
    (b"\xc0\xae", Traversal, Always),
    (b"\xc0\xaf", Traversal, Always),
    (b"\xe0\x80\xae", Traversal, Always),
    (b"%c0%ae", Traversal, Always),
    (b"%u002e", Traversal, Always),
    (b"%u2215", Traversal, Always),
    (b"/etc/passwd", Traversal, Always),
    (b"/etc/shadow", Traversal, Always),
    (b"/etc/group", Traversal, Always),
    (b"/proc/self/", Traversal, Always),
    (b"win.ini", Traversal, Always),
    (b"boot.ini", Traversal, Always),
    (b"c:/windows/", Traversal, Always),
    (b"c:\\windows\\", Traversal, Always),
    (b"/web-inf/", Traversal, Always),
    (b"/meta-inf/", Traversal, Always),
    (b"file://", Traversal, InValue),
    // Stream wrappers.
    (b"php://", PhpWrapper, Always),
    (b"expect://", PhpWrapper, Always),
    (b"phar://", PhpWrapper, Always),
    (b"data://", PhpWrapper, Always),
    (b"=data:", PhpWrapper, Always),
    (b"zip://", PhpWrapper, InValue),
    (b"allow_url_include", PhpWrapper, Always),
    (b"auto_prepend_file", PhpWrapper, Always),
    // Server-side request forgery.
    (b"169.254.169.254", Ssrf, InValue),
    (b"metadata.google.internal", Ssrf, InValue),
    (b"100.100.100.200", Ssrf, InValue),
    (b"://localhost", Ssrf, InValue),
    (b"://127.0.0.1", Ssrf, InValue),
    (b"://[::1]", Ssrf, InValue),
    (b"://0.0.0.0", Ssrf, InValue),
    (b"gopher://", Ssrf, InValue),
    (b"dict://", Ssrf, InValue),
    // SQL injection.
    (b"union select", Sqli, Always),
    (b"union all select", Sqli, Always),
    (b"union distinct select", Sqli, Always),
    (b"information_schema", Sqli, Always),
    (b" or 1=1", Sqli, Always),
    (b" and 1=1", Sqli, Always),
    (b" and 1=2", Sqli, Always),
    (b"sleep(", Sqli, Always),
    (b"benchmark(", Sqli, Always),
    (b"waitfor delay", Sqli, Always),
    (b"load_file(", Sqli, Always),
    (b"@@version", Sqli, Always),
    (b"concat(0x", Sqli, Always),
    (b"extractvalue(", Sqli, Always),
    (b"updatexml(", Sqli, Always),
    (b",null,null", Sqli, Always),
    (b"||chr(", Sqli, Always),
    (b"select char(", Sqli, Always),
    (b"selectchar(", Sqli, Always),
    (b"xp_cmdshell", Sqli, Always),
    (b"dbms_pipe.receive_message", Sqli, Always),
    (b"utl_inaddr", Sqli, Always),
    (b"/**/", Sqli, SqlComment),
    (b"'", Sqli, Quote),
    (b"\"", Sqli, Quote),
    // Cross-site scripting.
    (b"<script", Xss, Always),
    (b"javascript:", Xss, Always),
    (b"onerror=", Xss, Always),
    (b"onload=", Xss, Always),
    (b"onmouseover=", Xss, Always),
    (b"alert(", Xss, Always),
    (b"prompt(", Xss, Always),
    (b"<img", Xss, Always),
    (b"<svg", Xss, Always),
    (b"<iframe", Xss, Always),
    (b"<object", Xss, Always),
    (b"<embed", Xss, Always),
    (b"document.cookie", Xss, Always),
    // OS command injection.
    (b";", CommandInjection, CmdWord),
    (b"|", CommandInjection, CmdWord),
    (b"`", CommandInjection, CmdWord),
    (b"$(", CommandInjection, CmdWord),
    (b"&&", CommandInjection, CmdWord),
    (b"\n", CommandInjection, CmdWord),
    (b"wget http", CommandInjection, Always),
    (b"curl http", CommandInjection, Always),
    (b"/bin/sh", CommandInjection, Always),
    (b"/bin/bash", CommandInjection, Always),
    (b"cmd.exe", CommandInjection, Always),
    (b"cmd /c", CommandInjection, Always),
    (b"powershell -", CommandInjection, Always),
    (b"powershell.exe", CommandInjection, Always),
    (b"chmod 777", CommandInjection, Always),
    (b"chmod +x", CommandInjection, Always),
    (b"${ifs}", CommandInjection, Always),
    // Log4Shell.
    (b"${jndi:", Log4Shell, Always),
    (b"${${", Log4Shell, Always),
    (b"${lower:", Log4Shell, Always),
    (b"${upper:", Log4Shell, Always),
    (b"${env:", Log4Shell, Always),
    // Template and expression injection.
    (b"${script:", ExpressionInjection, Always),
    (b"${dns:", ExpressionInjection, Always),
    (b"${url:", ExpressionInjection, Always),
    (b"${", ExpressionInjection, Expr),
    (b"#{", ExpressionInjection, Expr),
    (b"%{", ExpressionInjection, Expr),
    (b"{{", ExpressionInjection, Ssti),
    (b"#_memberaccess", ExpressionInjection, Always),
    (b"@java.lang.", ExpressionInjection, Always),
    (b"getruntime(", ExpressionInjection, Always),
    (b".getclass(", ExpressionInjection, Always),
    (b"class.module.classloader", ExpressionInjection, Always),
    (b"class.classloader", ExpressionInjection, Always),
    (b"classloader.resources", ExpressionInjection, Always),
    (b"__import__", ExpressionInjection, Always),
    (b"__class__", ExpressionInjection, Always),
    (b"__globals__", ExpressionInjection, Always),
    (b"__builtins__", ExpressionInjection, Always),
    (b"__subclasses__", ExpressionInjection, Always),
    (
        b"freemarker.template.utility.execute",
        ExpressionInjection,
        Always,
    ),
    (b"<%=", ExpressionInjection, Always),
    (b"<?php", ExpressionInjection, Always),
    (b"<?=", ExpressionInjection, Always),
    // Deserialisation.
    // Base64 is case-sensitive: `rO0AB` is Java's stream header, `ro0ab`
    // a random token.
    (b"ro0ab", Deserialization, Case(b"rO0AB")),
    (b"aced0005", Deserialization, Always),
    (b"!!python/", Deserialization, Always),
    (b"java.lang.runtime", Deserialization, Always),
    (b"ysoserial", Deserialization, Always),
    (b"o:", Deserialization, PhpObject),
    // Shellshock.
    (b"() {", Shellshock, Always),
    // Web shells.
    (b"shell.php", Backdoor, Always),
    (b"c99.php", Backdoor, Always),
    (b"c99shell", Backdoor, Always),
    (b"r57.php", Backdoor, Always),
    (b"r57shell", Backdoor, Always),
    (b"/wso.php", Backdoor, Always),
    (b"/wso2.php", Backdoor, Always),
    (b"b374k", Backdoor, Always),
    (b"/alfa.php", Backdoor, Always),
    (b"alfashell", Backdoor, Always),
    (b"webshell", Backdoor, Always),
    (b"indoxploit", Backdoor, Always),
    (b"filesman", Backdoor, Always),
    (b".php", Backdoor, UploadShell),
    (b".phtml", Backdoor, UploadShell),
    (b".php5", Backdoor, UploadShell),
    (b".php7", Backdoor, UploadShell),
    (b".jsp", Backdoor, UploadShell),
    (b".jspx", Backdoor, UploadShell),
    (b".asp", Backdoor, UploadShell),
    (b".aspx", Backdoor, UploadShell),
    (b".ashx", Backdoor, UploadShell),
    (b"?cmd=", Backdoor, CmdParam),
    (b"&cmd=", Backdoor, CmdParam),
    (b"?c=", Backdoor, CmdParam),
    (b"&c=", Backdoor, CmdParam),
    (b"?exec=", Backdoor, CmdParam),
    (b"&exec=", Backdoor, CmdParam),
    (b"?command=", Backdoor, CmdParam),
    (b"&command=", Backdoor, CmdParam),
    (b"?execute=", Backdoor, CmdParam),
    (b"&execute=", Backdoor, CmdParam),
    // Scanner signatures.
    (b"w00tw00t.at.isc.sans", ScannerProbe, Always),
    (b"/core/skin/login.aspx", ScannerProbe, Always),
];

/// Shell command words that make a separator an injection.
const CMD_WORDS: &[&[u8]] = &[
    b"id",
    b"uname",
    b"whoami",
    b"wget",
    b"curl",
    b"cat",
    b"nc",
    b"ncat",
    b"netcat",
    b"sh",
    b"bash",
    b"zsh",
    b"ash",
    b"dash",
    b"busybox",
    b"powershell",
    b"pwsh",
    b"cmd",
    b"ping",
    b"nslookup",
    b"dig",
    b"tftp",
    b"ftpget",
    b"echo",
    b"rm",
    b"chmod",
    b"python",
    b"python3",
    b"perl",
    b"php",
    b"ruby",
    b"ls",
    b"sleep",
    b"ifconfig",
    b"telnet",
    b"mkfifo",
    b"base64",
    b"certutil",
    b"bitsadmin",
    b"systeminfo",
    b"hostname",
    b"nohup",
    b"useradd",
    b"crontab",
    b"sudo",
];

/// Script extensions a `cmd=` parameter makes a web-shell call.
const SCRIPT_EXT: &[&[u8]] = &[
    b".php", b".php5", b".phtml", b".jsp", b".jspx", b".asp", b".aspx", b".ashx", b".cgi", b".pl",
];

/// Folders that never legitimately serve scripts.
const UPLOAD_DIRS: &[&[u8]] = &[
    b"/uploads/",
    b"/upload/",
    b"/tmp/",
    b"/temp/",
    b"/userfiles/",
    b"/attachments/",
    b"/avatars/",
];

/// Image folders: a script there counts when its name is shell-like.
const IMAGE_DIRS: &[&[u8]] = &[b"/images/", b"/image/", b"/img/"];

/// Shell-like script name parts.
const SHELL_NAMES: &[&[u8]] = &[
    b"shell",
    b"cmd",
    b"wso",
    b"alfa",
    b"priv8",
    b"bypass",
    b"mini",
    b"upload",
    b"hack",
    b"sh3ll",
    b"b374k",
    b"leaf",
    b"marijuana",
    b"backdoor",
    b"up",
];

/// Whether a byte ends a command word.
fn word_end(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'\n'
            | b'\r'
            | b';'
            | b'&'
            | b'`'
            | b')'
            | b'\''
            | b'"'
            | b'$'
            | b'+'
            | b'<'
            | b'>'
            | b','
    )
}

/// A shell command word starts at `i` (after blanks, quotes and a `/bin/`
/// style prefix) and ends at a word end or the end of `hay`.
fn cmd_word_at(hay: &[u8], mut i: usize) -> bool {
    let mut skipped = 0;
    while i < hay.len() && matches!(hay[i], b' ' | b'\t' | b'+' | b'\'' | b'"' | b'{') {
        i += 1;
        skipped += 1;
        if skipped > 4 {
            return false;
        }
    }
    let rest = &hay[i..];
    for p in [
        &b"/usr/local/bin/"[..],
        b"/usr/bin/",
        b"/usr/sbin/",
        b"/bin/",
        b"/sbin/",
    ] {
        if rest.starts_with(p) {
            return cmd_word_at(hay, i + p.len());
        }
    }
    CMD_WORDS.iter().any(|w| {
        rest.starts_with(w) && {
            let after = &rest[w.len()..];
            let after = after.strip_prefix(b".exe").unwrap_or(after);
            after.first().is_none_or(|&b| word_end(b))
        }
    })
}

/// `hay[s..]` lies inside the value of a query parameter (`path_len`: where
/// the query's `?` is).
fn in_value(hay: &[u8], s: usize, path_len: usize) -> bool {
    if s <= path_len || s > hay.len() {
        return false;
    }
    let q = &hay[path_len..s];
    let start = memchr::memrchr2(b'&', b'?', q).map_or(0, |i| i + 1);
    memchr::memchr(b'=', &q[start..]).is_some()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memmem::find(hay, needle).is_some()
}

/// `${`/`#{`/`%{` at `e` holds code: `(`, `*`, `@`, `#`, `'` or `"` before the
/// closing `}` (or within 160 bytes when unterminated).
fn expr_code(hay: &[u8], e: usize) -> bool {
    let w = &hay[e..hay.len().min(e + 160)];
    let body = memchr::memchr(b'}', w).map_or(w, |c| &w[..c]);
    body.iter()
        .any(|b| matches!(b, b'(' | b'*' | b'@' | b'#' | b'\'' | b'"'))
}

/// `{{` at `e` is a template probe: closed by `}}` within 96 bytes and
/// holding code or a classic probe word.
fn ssti(hay: &[u8], e: usize) -> bool {
    let w = &hay[e..hay.len().min(e + 96)];
    let Some(c) = memmem::find(w, b"}}") else {
        return false;
    };
    let body = &w[..c];
    let trimmed = body.trim_ascii();
    body.iter()
        .any(|b| matches!(b, b'(' | b'*' | b'[' | b'\'' | b'"'))
        || contains(body, b"__")
        || matches!(trimmed, b"config" | b"self" | b"request" | b"settings")
}

/// `o:` at `s..e` starts a PHP serialised object `O:<n>:"`.
fn php_object(hay: &[u8], s: usize, e: usize) -> bool {
    if s > 0 && hay[s - 1].is_ascii_alphanumeric() {
        return false;
    }
    let rest = &hay[e..];
    let digits = rest
        .iter()
        .take(4)
        .take_while(|b| b.is_ascii_digit())
        .count();
    digits > 0 && rest[digits..].starts_with(b":\"")
}

/// `/**/` at `s..e` sits next to an SQL word.
fn sql_comment(hay: &[u8], s: usize, e: usize) -> bool {
    let w = &hay[s.saturating_sub(16)..hay.len().min(e + 16)];
    [
        &b"select"[..],
        b"union",
        b"and",
        b"or",
        b"from",
        b"where",
        b"sleep",
        b"concat",
    ]
    .iter()
    .any(|k| contains(w, k))
}

/// A quote ending at `e` is followed by SQL grammar: `or`/`and`/`xor` and a
/// value, `order by`, `union`, `having`, or a comment (`--`, `#`).
fn quote_sql(hay: &[u8], e: usize) -> bool {
    let mut i = e;
    let mut n = 0;
    while i < hay.len() && matches!(hay[i], b' ' | b')') && n < 4 {
        i += 1;
        n += 1;
    }
    let rest = &hay[i..];
    if rest.starts_with(b"--") || rest.starts_with(b"#") || rest.starts_with(b";--") {
        return true;
    }
    for k in [&b"order by"[..], b"union", b"having ", b"group by"] {
        if rest.starts_with(k) {
            return true;
        }
    }
    for k in [&b"or"[..], b"and", b"xor", b"||", b"&&"] {
        if let Some(after) = rest.strip_prefix(k) {
            // `or` directly followed by a letter is a word (`order`, `oracle`).
            let mut j = 0;
            while j < after.len() && after[j] == b' ' {
                j += 1;
            }
            let spaced = j > 0;
            let v = &after[j..];
            let Some(&c) = v.first() else { return false };
            if c.is_ascii_digit() || c == b'\'' || c == b'"' || c == b'(' {
                return spaced || !c.is_ascii_alphanumeric();
            }
            if spaced {
                return [
                    &b"true"[..],
                    b"false",
                    b"not ",
                    b"sleep",
                    b"exists",
                    b"select",
                ]
                .iter()
                .any(|w| v.starts_with(w));
            }
            return false;
        }
    }
    false
}

/// A script extension at `s..e` ends the path and its folder is an upload
/// folder (or an image folder with a shell-like name).
fn upload_shell(hay: &[u8], s: usize, e: usize, path_len: usize) -> bool {
    if e != path_len {
        return false;
    }
    let path = &hay[..path_len];
    let Some(slash) = memchr::memrchr(b'/', &path[..s]) else {
        return false;
    };
    let dir = &path[..=slash];
    let stem = &path[slash + 1..s];
    if UPLOAD_DIRS.iter().any(|d| contains(dir, d)) {
        return true;
    }
    IMAGE_DIRS.iter().any(|d| contains(dir, d))
        && (stem.len() <= 2 || SHELL_NAMES.iter().any(|n| contains(stem, n)))
}

/// `?cmd=` at `s..e` belongs to a script path and its value is a command.
fn cmd_param(hay: &[u8], s: usize, e: usize, path_len: usize) -> bool {
    if s < path_len {
        return false;
    }
    let path = &hay[..path_len];
    SCRIPT_EXT.iter().any(|x| path.ends_with(x)) && cmd_word_at(hay, e)
}

/// Run the check of an anchor found at `s..e` in `hay` (query from
/// `path_len`; `orig`: the target `hay` was decoded from).
pub(crate) fn confirm(
    check: Check,
    hay: &[u8],
    s: usize,
    e: usize,
    path_len: usize,
    orig: &Original<'_>,
) -> bool {
    match check {
        Always => true,
        InValue => in_value(hay, s, path_len),
        CmdWord => cmd_word_at(hay, e),
        CmdParam => cmd_param(hay, s, e, path_len),
        UploadShell => upload_shell(hay, s, e, path_len),
        Expr => expr_code(hay, e),
        Ssti => ssti(hay, e),
        PhpObject => php_object(hay, s, e),
        SqlComment => sql_comment(hay, s, e),
        Quote => quote_sql(hay, e),
        Case(exact) => orig.is(hay, s, e, exact),
    }
}

/// A product pattern ending at `e` ends at a boundary (or is open).
pub(crate) fn product_boundary(hay: &[u8], e: usize, open: bool) -> bool {
    open || hay
        .get(e)
        .is_none_or(|b| matches!(b, b'/' | b'?' | b'&' | b';' | b'='))
}
