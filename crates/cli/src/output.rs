//! Where results go (stdout or `-o FILE`) and in which format.

use crate::args::{ColorChoice, Globals};
use anyhow::{Context, Result};
use haboob_hunt::HuntReport;
use haboob_report::{OutputFormat, TableOptions};
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

/// Results destination.
pub enum Output {
    Stdout(BufWriter<io::Stdout>),
    File(BufWriter<File>),
}

impl Output {
    pub fn open(path: Option<&Path>) -> Result<Output> {
        Ok(match path {
            None => Output::Stdout(BufWriter::new(io::stdout())),
            Some(p) => Output::File(BufWriter::new(
                File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
            )),
        })
    }
    fn is_terminal(&self) -> bool {
        matches!(self, Output::Stdout(_)) && io::stdout().is_terminal()
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File(w) => w.flush(),
        }
    }
}

/// Print a report in the chosen format.
pub fn print(r: &HuntReport, f: OutputFormat, g: &Globals, out: &mut Output) -> Result<()> {
    let color = match g.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => out.is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    match f {
        OutputFormat::Table => haboob_report::write_table(
            r,
            &TableOptions {
                color,
                ..TableOptions::default()
            },
            out,
        )?,
        OutputFormat::Jsonl => haboob_report::write_jsonl(r, out)?,
        OutputFormat::Csv => haboob_report::write_csv(r, out)?,
    }
    out.flush()?;
    Ok(())
}
