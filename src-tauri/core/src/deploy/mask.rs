//! Hides secret values in every line that leaves the deploy engine.
