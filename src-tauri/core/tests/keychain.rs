//! The real OS keychain. On Linux these need a running, unlocked Secret
//! Service; `scripts/test.sh` starts gnome-keyring in a private D-Bus
//! session and runs them with `--ignored --test-threads=1`.

use liftoff_core::secrets::{Keychain, SecretKey, SecretValue};

fn key(name: &str) -> SecretKey {
    SecretKey {
        project_id: format!("test-{}", std::process::id()),
        environment_id: "env".into(),
        name: name.into(),
    }
}

#[test]
#[ignore = "needs a real, unlocked Secret Service (run by scripts/test.sh)"]
fn values_round_trip_through_the_real_keychain() {
    let keychain = Keychain::os();
    let k = key("ROUND_TRIP");
    keychain.set(&k, &SecretValue::new("first value")).unwrap();
    assert_eq!(keychain.get(&k).unwrap().unwrap().expose(), "first value");
    keychain.set(&k, &SecretValue::new("second value")).unwrap();
    assert_eq!(keychain.get(&k).unwrap().unwrap().expose(), "second value");
    assert!(keychain.delete(&k).unwrap());
    assert!(keychain.get(&k).unwrap().is_none(), "no entry is None, not an error");
    assert!(!keychain.delete(&k).unwrap());
}

#[test]
#[ignore = "needs a real, unlocked Secret Service (run by scripts/test.sh)"]
fn entries_are_separate_per_name() {
    let keychain = Keychain::os();
    let (a, b) = (key("A"), key("B"));
    keychain.set(&a, &SecretValue::new("alpha")).unwrap();
    keychain.set(&b, &SecretValue::new("beta")).unwrap();
    assert_eq!(keychain.get(&a).unwrap().unwrap().expose(), "alpha");
    assert_eq!(keychain.get(&b).unwrap().unwrap().expose(), "beta");
    keychain.delete(&a).unwrap();
    assert_eq!(keychain.get(&b).unwrap().unwrap().expose(), "beta");
    keychain.delete(&b).unwrap();
}
