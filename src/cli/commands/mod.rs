//! One module per family of subcommands.

pub mod browse;
pub mod manage;
pub mod sync;
pub mod transfer;
