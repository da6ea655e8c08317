//! One window per data folder on Linux: the first Liftoff on a folder owns a
//! D-Bus name made from it; a second start on that folder asks the first to
//! show its window, and exits.
//!
//! This is what tauri-plugin-single-instance does on Linux (the same name,
//! the same rules), over libdbus, which the keychain's Secret Service client
//! links already, instead of a second D-Bus stack (zbus): half a megabyte
//! of the package (issue 25). macOS and Windows keep the plugin.

use std::time::Duration;

use dbus::blocking::stdintf::org_freedesktop_dbus::RequestNameReply;
use dbus::blocking::SyncConnection;
use dbus::channel::MatchingReceiver;
use dbus::message::{MatchRule, MessageType};

const PATH: &str = "/dev/liftoff/app/SingleInstance";
const INTERFACE: &str = "dev.liftoff.SingleInstance";

/// What a start found.
pub enum Claim {
    /// This process owns the name: serve it with [`serve`].
    First(SyncConnection),
    /// Another Liftoff owns it and was asked to show its window.
    Handed,
    /// No session bus (or it refused): run without the check, as the plugin does.
    Unavailable(String),
}

/// The bus name of this data folder (`dir`), or of the default one.
pub fn name(dir: Option<&std::path::Path>) -> String {
    match dir {
        // FNV-1a: stable across builds, so two Liftoffs agree on the name.
        Some(dir) => {
            let hash = dir.as_os_str().as_encoded_bytes().iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100000001b3));
            format!("dev.liftoff.app.data_{hash:016x}.SingleInstance")
        }
        None => "dev.liftoff.app.SingleInstance".to_owned(),
    }
}

/// Takes the name, or hands over to the Liftoff that has it.
pub fn claim(name: &str) -> Claim {
    let conn = match SyncConnection::new_session() {
        Ok(conn) => conn,
        Err(e) => return Claim::Unavailable(format!("no D-Bus session bus ({e})")),
    };
    match conn.request_name(name, false, false, true) {
        Ok(RequestNameReply::PrimaryOwner) | Ok(RequestNameReply::AlreadyOwner) => Claim::First(conn),
        Ok(_) => {
            let proxy = conn.with_proxy(name, PATH, Duration::from_secs(10));
            match proxy.method_call::<(), _, _, _>(INTERFACE, "Show", ()) {
                Ok(()) => Claim::Handed,
                Err(e) => Claim::Unavailable(format!("the Liftoff already open on this folder did not answer ({e})")),
            }
        }
        Err(e) => Claim::Unavailable(format!("the session bus refused the name {name} ({e})")),
    }
}

/// Answers the next starts' `Show` with `show`, on a thread of its own, for
/// as long as the process runs.
pub fn serve(conn: SyncConnection, show: impl Fn() + Send + Sync + 'static) {
    let spawned = std::thread::Builder::new().name("single-instance".into()).spawn(move || {
        conn.start_receive(
            MatchRule::new().with_type(MessageType::MethodCall),
            Box::new(move |msg, conn| {
                let ours = msg.path().as_deref() == Some(PATH) && msg.interface().as_deref() == Some(INTERFACE);
                if ours && msg.member().as_deref() == Some("Show") {
                    show();
                    let _ = conn.channel().send(msg.method_return());
                }
                true
            }),
        );
        loop {
            if let Err(e) = conn.process(Duration::from_secs(3600)) {
                log::warn!("one window per data folder: the session bus connection ended ({e})");
                return;
            }
        }
    });
    if let Err(e) = spawned {
        log::warn!("one window per data folder: could not start its thread ({e})");
    }
}
