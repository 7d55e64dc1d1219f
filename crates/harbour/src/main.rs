//! `harbour`: the one command for running and operating Harbour.

mod admin;
mod cli;
mod commands;
mod feeds;
mod link;
mod logging;
mod report;
mod rules;
mod shared;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("harbour: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("harbour: {error:#}");
            ExitCode::FAILURE
        }
    }
}
