//! Engine tests against an in-memory service.
