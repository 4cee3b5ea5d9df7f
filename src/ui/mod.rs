//! The two-pane terminal UI.
