//! Runs one step of a deploy as a child process (see `run_step`).
//! (Interface stub; the real module lands from the exec branch.)
use std::time::Duration;
use tokio_util::sync::CancellationToken;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream { Out, Err }
pub struct LogLine { pub stream: Stream, pub text: String }
pub struct StepCommand {
    pub program: String, pub args: Vec<String>, pub through_shell: bool, pub working_dir: std::path::PathBuf,
    pub env: Vec<(String, String)>, pub secret_env: Vec<(String, crate::secrets::SecretValue)>,
    pub timeout: Duration, pub grace: Duration, pub drain: Duration,
}
#[derive(Debug)]
pub enum StepEnd { Exited(i32), Signalled(i32), TimedOut, Cancelled, FailedToStart(String) }
pub struct StepOutcome { pub end: StepEnd, pub pid: Option<u32>, pub elapsed: Duration, pub lines: u64, pub stopped_with_kill: bool }
impl StepOutcome { pub fn succeeded(&self) -> bool { matches!(self.end, StepEnd::Exited(0)) } }
pub async fn run_step(_cmd: &StepCommand, _masker: &crate::deploy::mask::Masker, _cancel: &CancellationToken, _on_start: impl FnOnce(u32), _on_lines: impl FnMut(Vec<LogLine>)) -> StepOutcome {
    StepOutcome { end: StepEnd::FailedToStart("stub".into()), pid: None, elapsed: Duration::ZERO, lines: 0, stopped_with_kill: false }
}
pub fn group_alive(_pgid: u32) -> bool { false }
pub fn stop_group(_pgid: u32, _grace: Duration) {}
