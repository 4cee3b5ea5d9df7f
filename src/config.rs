//! Configuration file, API key resolution, and paths.
