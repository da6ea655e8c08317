//! The tests' Python environment (scripts/pyenv.sh): its packages are in
//! tests/support/requirements.txt.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The environment's python: `LIFTOFF_TEST_PYTHON` (scripts/test.sh sets it),
/// else made or found by scripts/pyenv.sh.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        if let Some(p) = std::env::var_os("LIFTOFF_TEST_PYTHON").filter(|p| !p.is_empty()) {
            return PathBuf::from(p);
        }
        let out = Command::new("bash")
            .arg(root().join("scripts/pyenv.sh"))
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("Could not run scripts/pyenv.sh ({e}). Run it by hand and set LIFTOFF_TEST_PYTHON to the python it prints."));
        assert!(out.status.success(), "scripts/pyenv.sh failed (see above): the tests need Python 3 and the packages in tests/support/requirements.txt.");
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
}
