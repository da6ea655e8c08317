//! Before a step starts: clear reasons it cannot, in the user's terms
//! (the working folder, the program, its permissions, its `#!` line), and
//! the system's own refusal put the same way.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use super::StepCommand;
use crate::deploy::os::{self, Refusal};

const SET_FOLDER: &str = "Set the target's working folder, or the project's repository folder.";

/// The working folder, made absolute, or why it cannot be used.
pub(super) fn check_working_dir(dir: &Path) -> Result<PathBuf, String> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(format!("The working folder {} is a file, not a folder. {SET_FOLDER}", dir.display())),
        Err(_) => return Err(format!("The working folder {} does not exist. {SET_FOLDER}", dir.display())),
    }
    if !os::can_enter(dir) {
        return Err(format!("The working folder {} cannot be entered: permission denied. {SET_FOLDER}", dir.display()));
    }
    // A relative program path is then taken from the same folder as the
    // step runs in, whatever Liftoff's own current folder.
    std::path::absolute(dir).map_err(|e| format!("The working folder {} cannot be used: {e}. {SET_FOLDER}", dir.display()))
}

/// Whether a step with this program could start in `working_dir` now: the
/// folder, the program (found, a file, executable) and the interpreter on
/// its `#!` line. What [`super::run_step`] would refuse, said before a run starts.
pub(crate) fn check_program(program: &str, through_shell: bool, working_dir: &Path) -> Result<(), String> {
    let dir = check_working_dir(working_dir)?;
    if through_shell {
        return if Path::new("/bin/sh").is_file() { Ok(()) } else { Err("The shell /bin/sh was not found. Untick 'run through sh' and give a program.".into()) };
    }
    let cmd = StepCommand::new(program, &dir);
    let path = resolve_program(&cmd, &dir)?;
    interpreter_problem(&path).map_or(Ok(()), Err)
}

/// A script whose `#!` interpreter is missing, in words.
fn interpreter_problem(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut head = [0u8; 256];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).ok()?;
    let head = &head[..n];
    let line = head.strip_prefix(b"#!")?;
    let line = &line[..line.iter().position(|b| *b == b'\n').unwrap_or(line.len())];
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_ascii_whitespace();
    let interpreter = words.next()?;
    let p = path.display();
    if !Path::new(interpreter).is_file() {
        return Some(format!("`{p}` names the interpreter {interpreter} on its first line (#!), which is not installed here. Fix that line, or tick 'run through sh'."));
    }
    // `#!/usr/bin/env NAME`: NAME must be on the PATH.
    if interpreter.ends_with("/env") {
        let name = words.find(|w| !w.starts_with('-'))?;
        let path_var = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
        if !std::env::split_paths(&path_var).any(|d| d.join(name).is_file()) {
            return Some(format!("`{p}` runs `{name}` (its #! line), which is not on the PATH. Install it, or fix the script's first line."));
        }
    }
    None
}

fn not_executable(path: &Path) -> String {
    let p = path.display();
    format!("`{p}` is not executable. Run chmod +x {p}, or tick 'run through sh'.")
}

/// The program's full path, or why it cannot be run.
pub(super) fn resolve_program(cmd: &StepCommand, working_dir: &Path) -> Result<PathBuf, String> {
    let name = cmd.program.as_str();
    if name.trim().is_empty() {
        return Err("No program is set for this step. Set the program to run, or tick 'run through sh' and write the commands.".into());
    }
    if name.contains('/') || (cfg!(windows) && name.contains('\\')) {
        let path = Path::new(name);
        let full = if path.is_absolute() {
            path.to_path_buf()
        } else {
            working_dir.join(path.components().filter(|c| *c != std::path::Component::CurDir).collect::<PathBuf>())
        };
        return match std::fs::metadata(&full) {
            Ok(meta) if meta.is_dir() => Err(format!("`{}` is a folder, not a program. Give the path of the program to run.", full.display())),
            Ok(meta) if !os::is_executable(&meta) => Err(not_executable(&full)),
            Ok(_) => Ok(full),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(format!(
                "The program `{name}` was not found: {} does not exist. Check the path (it is taken from the working folder {}).",
                full.display(),
                cmd.working_dir.display()
            )),
            Err(e) => Err(format!("The program `{name}` cannot be read at {}: {e}.", full.display())),
        };
    }
    let path_var = cmd
        .env
        .iter()
        .rev()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| OsString::from(v))
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    let mut not_exec = None;
    for dir in std::env::split_paths(&path_var) {
        let dir = if dir.as_os_str().is_empty() { working_dir.to_path_buf() } else { working_dir.join(dir) };
        let candidate = dir.join(name);
        if let Ok(meta) = std::fs::metadata(&candidate) {
            if meta.is_file() {
                if os::is_executable(&meta) {
                    return Ok(candidate);
                }
                not_exec.get_or_insert(candidate);
            }
        }
    }
    if let Some(path) = not_exec {
        return Err(not_executable(&path));
    }
    if working_dir.join(name).is_file() {
        Err(format!("The program `{name}` was not found on the PATH. There is a `{name}` in the working folder: write `./{name}` to run it from there."))
    } else {
        Err(format!("The program `{name}` was not found on the PATH. Give its full path, or its path from the working folder (such as `./{name}`), or install it."))
    }
}

/// Why the system refused to start the program, in the user's terms.
pub(super) fn spawn_error(cmd: &StepCommand, program: &Path, e: &io::Error) -> String {
    let p = program.display();
    match os::refusal(e) {
        Some(Refusal::Missing) if cmd.through_shell => return format!("The shell {p} was not found. Untick 'run through sh' and give a program."),
        Some(Refusal::Missing) if program.is_file() => {
            return format!("`{p}` could not be started: the interpreter named on its first line (#!) was not found. Fix that line, or tick 'run through sh'.")
        }
        Some(Refusal::Missing) => return format!("The program `{}` was not found: {p} does not exist.", cmd.program),
        Some(Refusal::Denied) => {
            return format!(
                "`{p}` could not be started: permission denied. Run chmod +x {p} (and check that the interpreter on its #! line and the working folder can be used), or tick 'run through sh'."
            )
        }
        Some(Refusal::NotAProgram) => {
            return format!("`{p}` is not a program the system can start: a script needs a first line such as #!/bin/sh. Add one, or tick 'run through sh'.")
        }
        None => {}
    }
    format!("`{p}` could not be started: {e}.")
}

#[cfg(test)]
mod tests {
    use super::super::tests::{command, run, SECRET};
    use super::super::StepEnd;
    use crate::deploy::mask::Masker;

    #[tokio::test]
    async fn steps_that_cannot_start_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nowhere");
        let ran = run(&command(&missing, "./deploy.sh"), &Masker::default()).await;
        let StepEnd::FailedToStart(m) = &ran.outcome.end else { panic!("{:?}", ran.outcome) };
        assert_eq!(m, &format!("The working folder {} does not exist. Set the target's working folder, or the project's repository folder.", missing.display()));
        assert_eq!(ran.outcome.pid, None);
        assert_eq!(ran.started, None);
        assert!(ran.lines.is_empty());

        let mut shell = command(&missing, "echo hi");
        shell.through_shell = true;
        assert!(matches!(run(&shell, &Masker::default()).await.outcome.end, StepEnd::FailedToStart(m) if m.starts_with("The working folder")));

        let ran = run(&command(dir.path(), "no-such-program-xyz"), &Masker::default()).await;
        let StepEnd::FailedToStart(m) = &ran.outcome.end else { panic!("{:?}", ran.outcome) };
        assert!(m.starts_with("The program `no-such-program-xyz` was not found on the PATH"), "{m}");

        let ran = run(&command(dir.path(), "./deploy.sh"), &Masker::default()).await;
        let StepEnd::FailedToStart(m) = &ran.outcome.end else { panic!("{:?}", ran.outcome) };
        assert!(m.starts_with("The program `./deploy.sh` was not found:"), "{m}");

        // There but not executable: by path, and by name on the PATH.
        std::fs::write(dir.path().join("deploy.sh"), "#!/bin/sh\necho hi\n").unwrap();
        let ran = run(&command(dir.path(), "./deploy.sh"), &Masker::default()).await;
        let path = dir.path().join("deploy.sh");
        let StepEnd::FailedToStart(m) = &ran.outcome.end else { panic!("{:?}", ran.outcome) };
        assert_eq!(m, &format!("`{0}` is not executable. Run chmod +x {0}, or tick 'run through sh'.", path.display()));
        let mut by_name = command(dir.path(), "deploy.sh");
        by_name.env = vec![("PATH".into(), dir.path().display().to_string())];
        assert!(matches!(run(&by_name, &Masker::default()).await.outcome.end, StepEnd::FailedToStart(m) if m.contains("is not executable")));

        // In the working folder but not on the PATH.
        let ran = run(&command(dir.path(), "deploy.sh"), &Masker::default()).await;
        let StepEnd::FailedToStart(m) = &ran.outcome.end else { panic!("{:?}", ran.outcome) };
        assert!(m.contains("not found on the PATH") && m.contains("write `./deploy.sh`"), "{m}");

        // A folder; an interpreter that does not exist; nothing at all.
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert!(matches!(run(&command(dir.path(), "./sub"), &Masker::default()).await.outcome.end, StepEnd::FailedToStart(m) if m.contains("is a folder")));
        let odd = dir.path().join("odd.sh");
        std::fs::write(&odd, "#!/no/such/interpreter\necho hi\n").unwrap();
        std::fs::set_permissions(&odd, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let ran = run(&command(dir.path(), "./odd.sh"), &Masker::default()).await;
        assert!(matches!(&ran.outcome.end, StepEnd::FailedToStart(m) if m.contains("interpreter")), "{:?}", ran.outcome);
        assert!(matches!(run(&command(dir.path(), " "), &Masker::default()).await.outcome.end, StepEnd::FailedToStart(m) if m.starts_with("No program")));
        let bare = dir.path().join("bare.sh");
        std::fs::write(&bare, "echo no first line\n").unwrap();
        std::fs::set_permissions(&bare, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let ran = run(&command(dir.path(), "./bare.sh"), &Masker::default()).await;
        let StepEnd::FailedToStart(m) = &ran.outcome.end else { panic!("{:?}", ran.outcome) };
        assert_eq!(m, &format!("`{}` is not a program the system can start: a script needs a first line such as #!/bin/sh. Add one, or tick 'run through sh'.", bare.display()));

        // A message never shows a secret, even one in a path.
        let ran = run(&command(dir.path(), &format!("./{SECRET}.sh")), &Masker::new(&[SECRET])).await;
        assert!(matches!(&ran.outcome.end, StepEnd::FailedToStart(m) if m.contains("./***.sh") && !m.contains(SECRET)), "{:?}", ran.outcome);
    }
}
