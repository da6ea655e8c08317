//! The process table read from Linux's `/proc`: each process's group,
//! start time, state and (when readable) environment.

use super::Entry;

struct Stat<'a> {
    name: &'a str,
    live: bool,
    group: u32,
    start: u64,
}

/// When the process started, in clock ticks since boot, if it is running
/// (not a zombie).
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat).filter(|s| s.live).map(|s| s.start)
}

/// `pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
/// majflt cmajflt utime stime cutime cstime priority nice threads
/// itrealvalue starttime ...`; comm may hold spaces and ')'.
fn parse_stat(stat: &str) -> Option<Stat<'_>> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?;
    let fields: Vec<&str> = stat.get(close + 1..)?.split_ascii_whitespace().collect();
    let state = *fields.first()?;
    Some(Stat { name, live: !matches!(state, "Z" | "X" | "x"), group: fields.get(2)?.parse().ok()?, start: fields.get(19)?.parse().ok()? })
}

/// Calls `f` for every live process but this one, with its group and (when
/// `environ` is asked for and readable) its environment.
pub fn scan(mut f: impl FnMut(Entry<'_>), environ: bool) {
    use std::io::Read;
    let Ok(entries) = std::fs::read_dir("/proc") else { return };
    let me = std::process::id();
    let mut stat = String::new();
    let mut env = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        stat.clear();
        let dir = entry.path();
        let Ok(mut file) = std::fs::File::open(dir.join("stat")) else { continue };
        if file.read_to_string(&mut stat).is_err() {
            continue;
        }
        let Some(s) = parse_stat(&stat) else { continue };
        if !s.live {
            continue;
        }
        env.clear();
        let environ = environ && std::fs::File::open(dir.join("environ")).and_then(|mut e| e.read_to_end(&mut env)).is_ok();
        f(Entry { pid, name: s.name, start: s.start, group: s.group, environ: environ.then_some(&env[..]) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_names_are_read() {
        let line = "4242 (a (b) c) S 1 4240 4240 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        let s = parse_stat(line).unwrap();
        assert_eq!(s.name, "a (b) c");
        assert_eq!(s.group, 4240);
        assert_eq!(s.start, 987654);
        assert!(s.live);
        assert!(!parse_stat("7 (z) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0").unwrap().live);
    }
}
