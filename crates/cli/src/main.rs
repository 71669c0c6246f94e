//! The `haboob` command-line tool.

mod args;
mod commands;
mod output;

use args::{Args, Command};
use clap::Parser;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn init_logging(g: &args::Globals) {
    let default = if g.quiet {
        "error"
    } else {
        match g.verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let filter = EnvFilter::try_from_env("HABOOB_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes, each cause once (a message that already
/// quotes its source is not followed by it again), on as many lines as the
/// message has (TOML errors point at the column on a line of their own);
/// control characters escaped, the whole bounded.
fn error_text(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if msg.contains(s.trim()) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&s);
    }
    let lines: Vec<String> = msg
        .trim_end()
        .lines()
        .take(40)
        .map(|l| haboob_report::terminal(l, 2000))
        .collect();
    lines.join("\n")
}

fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(&args.globals);
    if let Some(n) = args.globals.threads {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build_global()
        {
            eprintln!("haboob: cannot set --threads {n}: {e}");
            return ExitCode::from(2);
        }
    }
    let res = match &args.command {
        Command::Hunt(a) => commands::hunt::run(&args.globals, a),
        Command::Simulate(a) => commands::simulate::run(a),
        Command::Demo(a) => commands::demo::run(&args.globals, a),
        Command::Config(a) => commands::config::run(a),
        Command::Events(a) => commands::events::run(a),
        Command::Rules(a) => commands::rules::run(a),
        Command::Notify(a) => commands::notify::run(&args.globals, a),
        Command::Serve(a) => commands::serve::run(a),
        Command::Token(a) => commands::token::run(a),
        Command::Actors(a) => commands::actors::run(a),
        Command::Export(a) => commands::export::run(a),
        Command::Intel(a) => commands::intel::run(&args.globals, a),
    };
    match res {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("haboob: {}", error_text(&e));
            ExitCode::from(2)
        }
    }
}
