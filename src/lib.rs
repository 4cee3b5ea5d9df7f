//! fichier-tui: a two-pane terminal client for 1fichier.com storage.
//!
//! Layers, from the bottom: `api` (the HTTP client of the 1fichier API), `sandbox` (an emulator of
//! that API, for the demo, tests and benchmarks), `remote` and `local` (the two file trees),
//! `transfer` (the queue), `sync` (one-way sync through that queue), then `ui` and `cli` on top.
//! Lower layers never import higher ones.

pub mod api;
pub mod checksum;
pub mod cli;
pub mod config;
pub mod local;
pub mod remote;
pub mod sandbox;
pub mod sanitize;
pub mod sync;
pub mod transfer;
pub mod ui;
pub mod units;
