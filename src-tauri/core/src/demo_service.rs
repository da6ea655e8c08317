//! The sample project's demo service: a tiny HTTP server on loopback that
//! answers each sample environment's health URL
//! (`http://127.0.0.1:PORT/<environment>/health`) with the version the demo
//! deploy script last left there. "Test connection" and health checks of
//! the sample then have something real to ask, and what they see follows
//! the sample's deploys.
//!
//! Plain `std::net` on one thread: it serves a handful of requests a minute
//! from this computer only, reads nothing but the demo's state files, and
//! answers every request in one short write.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Binds `127.0.0.1:port` (0 for any free port) and serves in a background
/// thread for the life of the process; returns the port.
pub fn start(demo_dir: PathBuf, port: u16) -> std::io::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let port = listener.local_addr()?.port();
    std::thread::Builder::new().name("sample-demo-service".into()).spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = answer(stream, &demo_dir);
        }
    })?;
    Ok(port)
}

/// A free port on loopback, for a new sample's URLs.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// The port a sample health URL names, if it is one of the demo's.
pub fn port_of(health_url: &str) -> Option<u16> {
    let rest = health_url.strip_prefix("http://127.0.0.1:")?;
    let (port, path) = rest.split_once('/')?;
    path.ends_with("/health").then(|| port.parse().ok()).flatten()
}

fn answer(stream: TcpStream, demo_dir: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    // Drain the headers (bounded), then answer and close.
    let mut line = String::new();
    for _ in 0..100 {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = match path.strip_prefix('/').and_then(|p| p.strip_suffix("/health")) {
        Some(env) if !env.is_empty() && env.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') => {
            let version = std::fs::read_to_string(demo_dir.join("state").join(format!("{env}.version")))
                .map(|v| v.trim().to_owned())
                .unwrap_or_else(|_| "2.3.1".into());
            ("200 OK", format!("{{\"status\":\"ok\",\"environment\":\"{env}\",\"version\":\"{version}\",\"service\":\"Liftoff sample demo\"}}"))
        }
        _ => ("404 Not Found", "{\"status\":\"unknown\",\"hint\":\"ask /<environment>/health\"}".to_owned()),
    };
    let mut out = stream;
    write!(out, "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn answers_each_environments_health_with_the_version_the_demo_left() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("state")).unwrap();
        std::fs::write(dir.path().join("state").join("staging.version"), "2.4.0\n").unwrap();
        let port = start(dir.path().to_path_buf(), 0).unwrap();
        let get = |path: &str| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut text = String::new();
            s.read_to_string(&mut text).unwrap();
            text
        };
        let staging = get("/staging/health");
        assert!(staging.starts_with("HTTP/1.1 200") && staging.contains("\"version\":\"2.4.0\""), "{staging}");
        assert!(get("/production/health").contains("\"version\":\"2.3.1\""), "nothing deployed by the demo yet");
        assert!(get("/../etc/health").starts_with("HTTP/1.1 404"));
        assert_eq!(port_of(&format!("http://127.0.0.1:{port}/staging/health")), Some(port));
        assert_eq!(port_of("https://example.com/health"), None);
    }
}
