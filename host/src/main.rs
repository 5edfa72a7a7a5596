//! The `questline` binary: parses the command line and hands over to [`questline::cli`].
//! Errors become one readable message here, at the edge.

use std::process::ExitCode;

fn main() -> ExitCode {
    questline::cli::main()
}
