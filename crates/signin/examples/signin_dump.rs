//! Parse a file with one sign-in format and print each event and a summary:
//! `cargo run -p haboob-signin --example signin_dump -- <format> <file>`.

use haboob_model::{EventRef, Parsed};
use haboob_signin::{read_evtx, SigninFormat};
use std::io::BufRead;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let fmt: SigninFormat = args
        .next()
        .ok_or("usage: signin_dump <format> <file>")?
        .parse()?;
    let path = std::path::PathBuf::from(args.next().ok_or("usage: signin_dump <format> <file>")?);
    let (mut events, mut directives, mut rejects) = (0u64, 0u64, 0u64);
    let mut show = |n: u64, r: Result<Option<String>, String>| match r {
        Ok(Some(e)) => {
            events += 1;
            println!("{n}: {e}");
        }
        Ok(None) => directives += 1,
        Err(e) => {
            rejects += 1;
            println!("{n}: REJECT {e}");
        }
    };
    match fmt.line_parser() {
        None => {
            let mut ids = std::collections::BTreeMap::<String, u64>::new();
            read_evtx(&path, &mut |n, raw, r| {
                if let Some(i) = raw.find("\"EventID\"") {
                    let id: String = raw[i + 10..]
                        .chars()
                        .filter(|c| c.is_ascii_digit())
                        .take(4)
                        .collect();
                    if std::env::var("SIGNIN_RAW").is_ok_and(|v| v == id) {
                        println!("{raw}");
                    }
                    *ids.entry(id).or_default() += 1;
                }
                show(
                    n,
                    r.map(|o| o.map(|e| format!("{e:?}")))
                        .map_err(|e| e.to_string()),
                )
            })?;
            println!("event ids {ids:?}");
        }
        Some(mut p) => {
            let f = std::io::BufReader::new(std::fs::File::open(&path)?);
            for (i, line) in f.lines().enumerate() {
                let line = line?;
                let line = line.strip_suffix('\r').unwrap_or(&line);
                let r = match p.parse(line) {
                    Ok(Parsed::Event(EventRef::Auth(e))) => Ok(Some(format!("{e:?}"))),
                    Ok(_) => Ok(None),
                    Err(e) => Err(e.to_string()),
                };
                show(i as u64 + 1, r);
            }
        }
    }
    println!("events {events} directives {directives} rejects {rejects}");
    Ok(())
}
