//! Benchmark-only crate: see benches/rules.rs.
