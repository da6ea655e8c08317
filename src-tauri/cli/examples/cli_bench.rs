//! Benchmark of the command-line binary, as a CI job uses it: the release
//! `liftoff-cli` (path in `LIFTOFF_CLI`) on a real database.
//!
//! Prints: its start-up time and peak memory for `liftoff runs` (median and
//! worst of 20 starts), and the lines per second of a deploy whose child
//! prints 1,000,000 lines (`BENCH_LINES`), through the masker, the stored
//! log and the terminal (standard output to a pipe that is read), over 3
//! runs.
//!
//!   scripts/bench.sh cli

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use liftoff_core::deploy::target::{self, CommandSpec, TargetSettings};
use liftoff_core::projects::{self, ProjectDraft};
use liftoff_core::Store;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

/// Runs the command to its end; returns its wall time and peak resident
/// memory (the kernel's count for the child, from wait4).
fn timed(cmd: &mut Command) -> (Duration, u64, u64) {
    let started = Instant::now();
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("liftoff-cli starts");
    let mut out = child.stdout.take().unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        match out.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => bytes += n as u64,
        }
    }
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pid is our child's, not yet waited for.
    unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let took = started.elapsed();
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "liftoff-cli failed: status {status}");
    std::mem::forget(child);
    (took, usage.ru_maxrss as u64, bytes)
}

fn main() {
    let bin = std::env::var("LIFTOFF_CLI").expect("LIFTOFF_CLI: the release liftoff-cli binary");
    let lines: u64 = std::env::var("BENCH_LINES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open_or_recover(dir.path(), Utc::now()).unwrap().store;
        let project = projects::create(
            &store,
            &ProjectDraft { name: "Bench".into(), description: String::new(), repository: dir.path().display().to_string(), time_zone: "UTC".into() },
            Utc::now(),
        )
        .unwrap();
        let env = liftoff_core::environments::list(&store, &project.id).unwrap().into_iter().find(|e| e.name == "staging").unwrap();
        let step = CommandSpec { program: format!("seq 1 {lines}"), args: Vec::new(), through_shell: true, timeout_secs: 600 };
        let settings = TargetSettings::local_command(step);
        target::set(&store, &env.id, &settings, Utc::now()).unwrap();
        store.close_cleanly();
    }
    let cli = |args: &[&str]| {
        let mut c = Command::new(&bin);
        c.arg("--data-dir").arg(dir.path()).args(args).stdin(Stdio::null());
        c
    };

    println!("Command line (release liftoff-cli, {} on disk):", mib(std::fs::metadata(&bin).map(|m| m.len()).unwrap_or(0)));
    let mut times = Vec::new();
    let mut peaks = Vec::new();
    for _ in 0..20 {
        let (took, peak_kib, _) = timed(&mut cli(&["runs", "--project", "Bench"]));
        times.push(took.as_secs_f64() * 1000.0);
        peaks.push(peak_kib as f64);
    }
    let worst = times.iter().cloned().fold(0.0, f64::max);
    println!(
        "  `liftoff-cli runs`: start to exit {:.1} ms median, {:.1} ms worst of 20; peak memory {:.1} MiB (max RSS, median)",
        median(times),
        worst,
        median(peaks) / 1024.0
    );
    let mut rates = Vec::new();
    for i in 0..3 {
        let (took, peak_kib, bytes) = timed(&mut cli(&["deploy", "--project", "Bench", "--env", "staging", "--version", &format!("1.{i}"), "--yes"]));
        let rate = lines as f64 / took.as_secs_f64();
        rates.push(rate);
        println!(
            "  deploy of {lines} lines: {:.2} s = {:.0} lines/s through the masker, the stored log and the terminal ({} printed; peak memory {:.1} MiB)",
            took.as_secs_f64(),
            rate,
            mib(bytes),
            peak_kib as f64 / 1024.0
        );
    }
    println!("  median: {:.0} lines/s", median(rates));
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
