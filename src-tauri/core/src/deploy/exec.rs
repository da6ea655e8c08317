//! Runs one step of a deploy as a child process (see `run_step`).
