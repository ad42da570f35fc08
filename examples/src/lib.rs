//! Runnable examples live in `examples/`; see README.md.
