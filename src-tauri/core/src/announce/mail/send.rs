//! The send loop: one message per recipient, each recorded by the caller
//! before and after, so a run can stop anywhere and resume exactly.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use lettre::transport::smtp::client::SmtpConnection;
use lettre::transport::smtp::commands::Quit;
use serde::{Deserialize, Serialize};

use super::smtp::{Mailer, Outcome, SendError, SendErrorKind};
use super::{build, headers, Email, Recipient};

/// Where a recipient stands, as the caller recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum DeliveryState {
    Pending,
    Sent,
    Failed,
    /// Recorded as being sent when the app stopped: it may have gone out.
    /// Never sent again automatically.
    Unknown,
}

/// What happens, as it happens, for the caller to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SendEvent {
    /// About to start this recipient's SMTP transaction. Record it as
    /// "sending" before returning: a crash from here on leaves it Unknown.
    Sending { address: String },
    /// The server took the message.
    Sent { address: String },
    /// Refused for this recipient alone; the run goes on.
    Failed { address: String, error: SendError },
    /// This recipient's server asked to try again later (a 4xx at RCPT):
    /// nothing went out, it stays pending, and the run goes on; it is tried
    /// again at the end of this run, with back-off, and by a resume.
    Deferred { address: String, error: SendError },
    /// The run stops before this recipient's message went out: it is
    /// pending again.
    Pending { address: String },
    /// The connection broke after the message went out and before the
    /// server confirmed it: it may have arrived. The run stops.
    Unknown { address: String, error: SendError },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SendOptions {
    /// Messages per minute at most; 0 for no pause between them.
    pub rate_per_minute: u32,
    /// Also send to recipients who failed before. By default a resume sends
    /// only to those pending: a refused address is usually refused again.
    pub retry_failed: bool,
    /// Deferred recipients are tried again after this many seconds, then
    /// after twice as long each time, up to [`DEFERRED_ROUNDS`] times.
    pub deferred_backoff_secs: u32,
}

/// How many times a run tries a deferred recipient again before leaving it
/// pending for a resume.
pub const DEFERRED_ROUNDS: u32 = 3;

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions { rate_per_minute: 30, retry_failed: false, deferred_backoff_secs: 60 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub address: String,
    pub error: SendError,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SendSummary {
    /// Sent in this run.
    pub sent: u32,
    /// Refused in this run, each for its own reason.
    pub failed: Vec<Failure>,
    /// Still deferred by their server at the end of this run (tried again
    /// with back-off): pending, for a resume.
    pub deferred: Vec<Failure>,
    /// Left out because they were sent before (or failed before, unless
    /// failed ones are retried), or listed twice.
    pub skipped_already: u32,
    /// Whose message may or may not have arrived (from an earlier run that
    /// stopped mid-message, or from this one): never sent again by Liftoff.
    pub uncertain: Vec<String>,
    /// Why the run stopped before the end, and what to do.
    pub stopped: Option<String>,
}

/// Sends `email` to each recipient, in order, one message each: each person
/// sees their own address in To, a refused address fails alone, and a
/// resume knows exactly who has it.
///
/// Skips those `already` reports Sent, or Unknown (which are reported, never
/// sent again), or Failed unless `options.retry_failed`. Calls `on_event`
/// with `Sending` before each transaction and with the outcome after, so a
/// caller that records each one never sends anyone the email twice; an
/// `Err` from it stops the run. Stops at an error that is not one
/// recipient's (login, connection, sender refused), or when `cancel` is set,
/// and says in `stopped` what to do; a resume sends only to the rest.
pub fn send_all(
    mailer: &Mailer,
    email: &Email,
    recipients: &[Recipient],
    already: &dyn Fn(&str) -> DeliveryState,
    options: &SendOptions,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(SendEvent) -> Result<(), String>,
) -> SendSummary {
    let mut summary = SendSummary::default();
    let interval = match options.rate_per_minute {
        0 => Duration::ZERO,
        rate => Duration::from_secs(60) / rate,
    };
    let mut seen = HashSet::new();
    let mut todo = Vec::new();
    for recipient in recipients {
        if !seen.insert(recipient.address.trim().to_lowercase()) {
            summary.skipped_already += 1;
            continue;
        }
        match already(&recipient.address) {
            DeliveryState::Pending => todo.push(recipient),
            DeliveryState::Failed if options.retry_failed => todo.push(recipient),
            DeliveryState::Sent | DeliveryState::Failed => summary.skipped_already += 1,
            DeliveryState::Unknown => summary.uncertain.push(recipient.address.clone()),
        }
    }
    // The sender, subject and parts are the same for all: a fault there
    // stops the run before anything is sent.
    if let Err(e) = headers(email, Utc::now()) {
        summary.stopped = Some(format!("{e} Nothing was sent."));
        return summary;
    }

    let mut conn: Option<SmtpConnection> = None;
    let mut carried = 0usize;
    let mut refused_in_a_row = 0u32;
    let mut last_start: Option<Instant> = None;
    // Deferred recipients go round again after the others, with back-off.
    let mut round = 0u32;
    let mut queue: Vec<&Recipient> = todo.clone();
    let mut deferred: Vec<(&Recipient, SendError)> = Vec::new();
    'rounds: loop {
        for (i, recipient) in queue.iter().copied().enumerate() {
            let total = queue.len();
            if let Some(start) = last_start {
                wait_until(start + interval, cancel);
            }
            if cancel.load(Ordering::SeqCst) {
                summary.stopped = Some(stop_text("Sending was cancelled.", summary.sent, total - i));
                break;
            }
            let address = recipient.address.clone();
            let msg = match build(email, recipient, Utc::now()) {
                Ok(msg) => msg,
                Err(e) => {
                    let error = SendError::new(SendErrorKind::Recipient, None, e.to_string());
                    if let Err(e) = on_event(SendEvent::Failed { address: address.clone(), error: error.clone() }) {
                        summary.stopped = Some(unrecorded(&e, summary.sent));
                        break;
                    }
                    summary.failed.push(Failure { address, error });
                    continue;
                }
            };
            last_start = Some(Instant::now());

            // A connection that stopped answering (closed for idling, or after
            // its server's quota of messages) is replaced before the message.
            if conn.as_mut().is_some_and(|c| c.has_broken() || !c.test_connected()) {
                conn = None;
            }
            if conn.is_none() {
                match mailer.connect() {
                    Ok(c) => (conn, carried) = (Some(c), 0),
                    Err(e) => {
                        summary.stopped = Some(stop_text(&e.message, summary.sent, total - i));
                        break;
                    }
                }
            }
            if let Err(e) = on_event(SendEvent::Sending { address: address.clone() }) {
                summary.stopped = Some(unrecorded(&e, summary.sent));
                break;
            }
            let mut outcome = match conn.as_mut() {
                Some(c) => mailer.transaction(c, &msg),
                None => break,
            };
            // Refused at MAIL FROM on a connection that already carried mail:
            // nothing of this message went out, so one fresh connection may try.
            if let Outcome::NotSent { retry: true, .. } = outcome {
                if carried > 0 {
                    match mailer.connect() {
                        Ok(mut c) => {
                            outcome = mailer.transaction(&mut c, &msg);
                            (conn, carried) = (Some(c), 0);
                        }
                        Err(e) => outcome = Outcome::NotSent { error: e, retry: false },
                    }
                }
            }
            let recorded = match outcome {
                Outcome::Sent => {
                    summary.sent += 1;
                    carried += 1;
                    refused_in_a_row = 0;
                    on_event(SendEvent::Sent { address })
                }
                Outcome::Refused(error) => {
                    log::warn!("announcement mail: {}", error.message);
                    refused_in_a_row += 1;
                    summary.failed.push(Failure { address: address.clone(), error: error.clone() });
                    on_event(SendEvent::Failed { address, error })
                }
                Outcome::Deferred(error) => {
                    log::info!("announcement mail deferred: {}", error.message);
                    carried += 1;
                    deferred.push((recipient, error.clone()));
                    on_event(SendEvent::Deferred { address, error })
                }
                Outcome::NotSent { error, .. } => {
                    summary.stopped = Some(stop_text(&error.message, summary.sent, total - i));
                    conn = None;
                    let _ = on_event(SendEvent::Pending { address });
                    break;
                }
                Outcome::Unknown(error) => {
                    summary.uncertain.push(address.clone());
                    summary.stopped = Some(stop_text(&error.message, summary.sent, total - i - 1));
                    conn = None;
                    let _ = on_event(SendEvent::Unknown { address, error });
                    break;
                }
            };
            if let Err(e) = recorded {
                summary.stopped = Some(unrecorded(&e, summary.sent));
                break;
            }
            if refused_in_a_row >= REFUSED_IN_A_ROW_STOP && i + 1 < total {
                let last = summary.failed.last().map(|f| f.error.message.as_str()).unwrap_or_default();
                let reason = format!(
                    "{refused_in_a_row} recipients in a row were refused (the last: {last}). That points to the account or the provider’s sending limits more than to the addresses: check them. To try the refused ones again, resume with “retry failed”."
                );
                summary.stopped = Some(stop_text(&reason, summary.sent, total - i - 1));
                break;
            }
        }
        if summary.stopped.is_some() || deferred.is_empty() || round >= DEFERRED_ROUNDS {
            break 'rounds;
        }
        // Back-off before the next round: 1x, 2x, 4x the base.
        let wait = Duration::from_secs(u64::from(options.deferred_backoff_secs) << round);
        round += 1;
        wait_until(Instant::now() + wait, cancel);
        if cancel.load(Ordering::SeqCst) {
            summary.stopped = Some(stop_text("Sending was cancelled.", summary.sent, deferred.len()));
            break 'rounds;
        }
        queue = deferred.drain(..).map(|(r, _)| r).collect();
        // The connection may have idled out meanwhile: a fresh one.
        if let Some(mut c) = conn.take() {
            let _ = c.command(Quit);
        }
        last_start = None;
    }
    summary.deferred = deferred.into_iter().map(|(r, error)| Failure { address: r.address.clone(), error }).collect();
    if let Some(mut c) = conn {
        let _ = c.command(Quit);
    }
    summary
}

/// Refusals in a row that stop a run: a sender the provider will not take,
/// or a daily quota used up, is refused for every recipient.
const REFUSED_IN_A_ROW_STOP: u32 = 5;

fn stop_text(reason: &str, sent: u32, left: usize) -> String {
    let was = if sent == 1 { "message was" } else { "messages were" };
    format!("{reason} Sending stopped: {sent} {was} sent in this run and {left} still to go. A resume sends only to the rest; nobody gets the email twice.")
}

fn unrecorded(reason: &str, sent: u32) -> String {
    format!("Sending stopped because Liftoff could not record its progress ({reason}); {sent} sent in this run. Fix that, then resume: only the rest are sent.")
}

/// Sleeps until `deadline`, or until `cancel` is set.
fn wait_until(deadline: Instant, cancel: &AtomicBool) {
    loop {
        let now = Instant::now();
        if now >= deadline || cancel.load(Ordering::SeqCst) {
            return;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(100)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::announce::mail::tests::email;
    use crate::announce::mail::{parse_recipients, Security, SmtpSettings};

    fn settings() -> SmtpSettings {
        SmtpSettings { host: "smtp.example.com".into(), from_address: "releases@example.com".into(), ..SmtpSettings::default() }
    }

    #[test]
    fn nothing_is_sent_when_cancelled_or_already_done() {
        // Port 9 on loopback: nothing listens; the loop must not even connect.
        let s = SmtpSettings { host: "127.0.0.1".into(), port: 9, security: Security::Plain, ..settings() };
        let mailer = Mailer::new(s, None).unwrap();
        let list = parse_recipients("a@example.org\nb@example.org\nc@example.org\n").unwrap();
        let already = |a: &str| match a {
            "a@example.org" => DeliveryState::Sent,
            "b@example.org" => DeliveryState::Unknown,
            _ => DeliveryState::Failed,
        };
        let mut events = Vec::new();
        let summary = send_all(&mailer, &email(), &list, &already, &SendOptions::default(), &AtomicBool::new(false), &mut |e| {
            events.push(e);
            Ok(())
        });
        assert!(events.is_empty());
        assert_eq!((summary.sent, summary.skipped_already, summary.uncertain.clone(), summary.stopped), (0, 2, vec!["b@example.org".to_owned()], None));

        let summary = send_all(&mailer, &email(), &list, &|_| DeliveryState::Pending, &SendOptions::default(), &AtomicBool::new(true), &mut |e| {
            events.push(e);
            Ok(())
        });
        assert!(events.is_empty());
        assert!(summary.stopped.unwrap().starts_with("Sending was cancelled."));
    }
}
