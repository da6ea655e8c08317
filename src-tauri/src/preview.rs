//! The preview of a draft, served on its own scheme (`preview://`) so that
//! it has its own, stricter Content Security Policy: no scripts at all, no
//! remote loads (styles inline, images only as data: URLs). The window
//! shows it in an `<iframe sandbox="">`, which also gives it no origin.

use liftoff_core::announce::drafts;
use tauri::http::{Request, Response};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/// Answers `preview://localhost/<draft id>/<light|dark>` (the path may come
/// percent-encoded, as `convertFileSrc` writes it).
pub fn handle<R: Runtime>(ctx: UriSchemeContext<'_, R>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let path = request.uri().path().trim_start_matches('/').replace("%2F", "/").replace("%2f", "/");
    let (id, theme) = path.split_once('/').unwrap_or((path.as_str(), "light"));
    let (id, dark) = (id.to_owned(), theme == "dark");
    let state = ctx.app_handle().state::<AppState>().inner().clone();
    tauri::async_runtime::spawn(async move {
        let page = state.with_ctx(move |cx| Ok(drafts::preview(cx.store, &id, dark)?)).await;
        let (status, body) = match page {
            Ok(html) => (200, html),
            Err(e) => (404, format!("<!doctype html><meta charset=utf-8><p style=\"font-family:sans-serif\">{}</p>", escape(&e.message))),
        };
        let response = Response::builder()
            .status(status)
            .header("Content-Type", "text/html; charset=utf-8")
            .header("Content-Security-Policy", CSP)
            .header("Cache-Control", "no-store")
            .body(body.into_bytes())
            .unwrap_or_else(|_| Response::new(Vec::new()));
        responder.respond(response);
    });
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
