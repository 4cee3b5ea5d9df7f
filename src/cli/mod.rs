//! The command line: clap definitions and the scripting subcommands.
