//! The remote tree: a cache of folder listings, paths to folder ids, invalidation.
