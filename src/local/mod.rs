//! The local filesystem as the left pane sees it.
