//! Preflight: everything checked before a deploy starts, each check pass,
//! warn or fail with its reason, shown in the confirmation and recorded
//! with the run. Some failures may be overridden by a decision (who decided
//! and why): the production gate, a freeze, the promotion rule. The lock,
//! the target and the credentials cannot be overridden.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;

use super::runs::{self, RunKind};
use super::target::{self, Target};
use super::{CheckOutcome, Decision, DeployError, DeployRequest, PreflightCheck};
use crate::environments::Environment;
use crate::projects::Project;
use crate::release::{self as releases, gate, Release};
use crate::secrets::{Keychain, SecretKey};
use crate::Store;

/// The sentence that refuses a deploy whose preflight failed.
pub fn refusal(checks: &[PreflightCheck]) -> String {
    let failed: Vec<String> = checks.iter().filter(|c| c.blocks()).map(|c| format!("{}: {}", c.label, c.reason)).collect();
    if failed.is_empty() {
        return "The deploy needs confirmation: it is outside the planned window.".into();
    }
    format!("The deploy did not start. {}", failed.join(" "))
}

/// What preflight found, and what the run needs from it.
pub struct Plan {
    pub project: Project,
    pub environment: Environment,
    pub release: Option<Release>,
    pub version: String,
    pub target: Option<Target>,
    pub previous_version: Option<String>,
    pub checks: Vec<PreflightCheck>,
}

impl Plan {
    pub fn may_start(&self, accept_warnings: bool) -> bool {
        !self.checks.iter().any(PreflightCheck::blocks) && (accept_warnings || !self.checks.iter().any(|c| c.outcome == CheckOutcome::Warn))
    }
}

/// A stored time as the window writes it, naming the zone: "Mon 7 Dec 09:00 Europe/Berlin".
fn fmt_time(rfc3339: &str, tz: chrono_tz::Tz, now: DateTime<Utc>) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| format!("{} {}", crate::clock::words(t.with_timezone(&Utc), tz, Some(now)), tz.name()))
        .unwrap_or_else(|_| rfc3339.to_owned())
}

/// A stored span as the window writes it: "Thu 10 Dec 10:00 to 11:30 Europe/Berlin".
fn fmt_span(start: &str, end: &str, tz: chrono_tz::Tz, now: DateTime<Utc>) -> String {
    match (DateTime::parse_from_rfc3339(start), DateTime::parse_from_rfc3339(end)) {
        (Ok(s), Ok(e)) => crate::clock::span_words(s.with_timezone(&Utc), e.with_timezone(&Utc), tz, Some(now)),
        _ => format!("{start} to {end}"),
    }
}

/// Runs every check for `req`; reads only.
pub fn check(store: &Store, keychain: &Keychain, req: &DeployRequest, kind: RunKind, now: DateTime<Utc>, today: NaiveDate) -> Result<Plan, DeployError> {
    let conn = store.reader()?;
    let environment = crate::environments::get(store, &req.environment_id).map_err(|_| DeployError::EnvironmentNotFound)?;
    let project = crate::projects::get(store, &environment.project_id).map_err(|e| DeployError::Refused(e.to_string()))?;
    let tz = crate::clock::zone(&project.time_zone);
    let release = match &req.release_id {
        Some(id) => Some(releases::get_in(&conn, id)?.ok_or(DeployError::ReleaseNotFound)?),
        None => None,
    };
    if let Some(r) = &release {
        if r.project_id != project.id {
            return Err(DeployError::ReleaseNotFound);
        }
    }
    let version = match (req.version.trim(), &release) {
        ("", Some(r)) => r.version.clone(),
        ("", None) => {
            return Err(DeployError::Invalid([("version".to_owned(), "Pick a release or type the version to deploy.".to_owned())].into()));
        }
        (v, _) => v.to_owned(),
    };
    if version.chars().count() > 80 || version.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(DeployError::Invalid([("version".to_owned(), "A version is one word of at most 80 characters, such as 2.4.0.".to_owned())].into()));
    }
    if !crate::rules::is_one_line(req.build_ref.trim(), 200) {
        return Err(DeployError::Invalid([("buildRef".to_owned(), "A build reference is one line, such as a tag or a commit.".to_owned())].into()));
    }
    let decision = |key: &str| req.decisions.iter().find(|d| d.check == key).cloned();
    let mut checks = Vec::new();

    // The target.
    let target = target::get_in(&conn, &environment.id)?;
    checks.push(match &target {
        None => PreflightCheck::new("target", "Deploy target", CheckOutcome::Fail, format!("No deploy target is set for {}. Set one first.", environment.name)),
        Some(t) => match target::working_dir(&t.settings, &project.repository) {
            Err(m) => PreflightCheck::new("target", "Deploy target", CheckOutcome::Fail, m),
            Ok(dir) if !dir.is_dir() => PreflightCheck::new(
                "target",
                "Deploy target",
                CheckOutcome::Fail,
                format!("The working folder {} does not exist. Set the target's working folder.", dir.display()),
            ),
            Ok(dir) => {
                let reason = match (t.settings.kind.engine(), &t.settings.remote) {
                    (Some(engine), Some(r)) => crate::rules::sentence(&format!("{engine} starts {}.", r.describe(t.settings.kind))),
                    _ => format!("Runs {} in {}.", describe(&t.settings.command), dir.display()),
                };
                PreflightCheck::new("target", "Deploy target", CheckOutcome::Pass, reason)
            }
        },
    });

    // The production gate.
    if environment.protected {
        // A rollback returns to a version that verified here: its gate was
        // passed when it went out, and today's checklist is another release's.
        let gate_release = if kind == RunKind::Deploy { release.clone() } else { None };
        let mut c = match gate_release {
            None if kind != RunKind::Deploy => PreflightCheck::new(
                "gate",
                "Production gate",
                CheckOutcome::Pass,
                format!("A rollback to {version}, which verified on {} before; the gate is for new versions.", environment.name),
            ),
            None => PreflightCheck::new(
                "gate",
                "Production gate",
                CheckOutcome::Fail,
                format!("{} is protected: pick the release being deployed, so its readiness checklist can be checked.", environment.name),
            ),
            Some(r) => {
                let report = gate::evaluate(&conn, &r.id, &environment.id, today)?;
                if report.passed {
                    PreflightCheck::new("gate", "Production gate", CheckOutcome::Pass, "Every required checklist item is complete.".into())
                } else if let Some(o) = &report.override_ {
                    let mut c = PreflightCheck::new(
                        "gate",
                        "Production gate",
                        CheckOutcome::Pass,
                        format!("Overridden by {} ({}): {} required item(s) open.", o.decided_by, o.reason, report.missing.len()),
                    );
                    c.decision = Some(Decision { check: "gate".into(), decided_by: o.decided_by.clone(), reason: o.reason.clone() });
                    c
                } else {
                    let names: Vec<String> = report.missing.iter().take(3).map(|m| format!("“{}” ({})", m.title, m.why)).collect();
                    let more = report.missing.len().saturating_sub(3);
                    let mut c = PreflightCheck::new(
                        "gate",
                        "Production gate",
                        CheckOutcome::Fail,
                        format!(
                            "{} required item(s) are not complete: {}{}.",
                            report.missing.len(),
                            names.join(", "),
                            if more > 0 { format!(" and {more} more") } else { String::new() }
                        ),
                    );
                    c.overridable = true;
                    c
                }
            }
        };
        if c.outcome == CheckOutcome::Fail && c.overridable {
            c.decision = decision("gate");
        }
        checks.push(c);
    }

    // A freeze now.
    let (occurrences, _) = crate::planning::windows::occurrences(store, &project.id, now, now + chrono::Duration::seconds(1))
        .map_err(|e| DeployError::Refused(e.to_string()))?;
    let freezes: Vec<_> = occurrences
        .into_iter()
        .filter(|o| o.freezes(&environment.id))
        .collect();
    let window_override = release.as_ref().and_then(|r| {
        let (s, e) = (r.window_start.as_deref()?, r.window_end.as_deref()?);
        let inside = s <= crate::clock::to_text(now).as_str() && crate::clock::to_text(now).as_str() < e;
        let by = r.freeze_override_by.clone()?;
        inside.then(|| Decision { check: "freeze".into(), decided_by: by, reason: r.freeze_override_reason.clone().unwrap_or_default() })
    });
    checks.push(match freezes.first() {
        None => PreflightCheck::new("freeze", "Freeze", CheckOutcome::Pass, format!("No freeze on {} now.", environment.name)),
        Some(f) => {
            let mut c = PreflightCheck::new(
                "freeze",
                "Freeze",
                CheckOutcome::Fail,
                format!(
                    "“{}” is on until {}{}. Deploying now needs an emergency decision.",
                    f.name,
                    fmt_time(&f.end, tz, now),
                    if f.reason.is_empty() { String::new() } else { format!(" ({})", f.reason) }
                ),
            );
            c.overridable = true;
            c.decision = decision("freeze").or(window_override);
            c
        }
    });

    // The planned window (a rollback goes back at once, whatever was planned).
    if let (Some(r), RunKind::Deploy) = (&release, kind) {
        let for_this = r.window_environment_id.as_deref().map_or(environment.protected, |w| w == environment.id);
        if for_this {
            checks.push(match (&r.window_start, &r.window_end) {
                (Some(s), Some(e)) => {
                    let now_text = crate::clock::to_text(now);
                    if s.as_str() <= now_text.as_str() && now_text.as_str() < e.as_str() {
                        PreflightCheck::new("window", "Planned window", CheckOutcome::Pass, format!("Inside the planned window, {}.", fmt_span(s, e, tz, now)))
                    } else {
                        PreflightCheck::new(
                            "window",
                            "Planned window",
                            CheckOutcome::Warn,
                            format!("Outside the planned window ({}). Confirm to deploy anyway.", fmt_span(s, e, tz, now)),
                        )
                    }
                }
                _ => PreflightCheck::new("window", "Planned window", CheckOutcome::Warn, "No window is planned for this release. Confirm to deploy anyway.".into()),
            });
        }
    }

    // Promotion.
    if environment.protected {
        let mut c = if kind != RunKind::Deploy {
            PreflightCheck::new("promotion", "Promotion", CheckOutcome::Pass, "Skipped: a rollback returns to a version that verified here.".into())
        } else {
            let before: Option<(String, String)> = crate::environments::list_in(&conn, &project.id)?
                .into_iter()
                .rfind(|e| e.position < environment.position)
                .map(|e| (e.id, e.name));
            match before {
                None => PreflightCheck::new("promotion", "Promotion", CheckOutcome::Pass, format!("{} is the first stage of the pipeline.", environment.name)),
                Some((before_id, before_name)) => {
                    let verified: Option<String> = runs::verified_at(&conn, &before_id, &version)?;
                    match verified {
                        Some(at) => PreflightCheck::new("promotion", "Promotion", CheckOutcome::Pass, format!("{version} verified on {before_name} ({}).", fmt_time(&at, tz, now))),
                        None => {
                            let mut c = PreflightCheck::new(
                                "promotion",
                                "Promotion",
                                CheckOutcome::Fail,
                                format!("{version} has not verified on {before_name}. Deploy it there first, or record who decided to skip it and why."),
                            );
                            c.overridable = true;
                            c
                        }
                    }
                }
            }
        };
        if c.outcome == CheckOutcome::Fail {
            c.decision = decision("promotion");
        }
        checks.push(c);
    }

    // The lock.
    checks.push(match runs::lock_in(&conn, &environment.id)? {
        None => PreflightCheck::new("lock", "Lock", CheckOutcome::Pass, format!("Nobody else is deploying to {}.", environment.name)),
        Some(lock) => {
            let dead = match &lock.run_id {
                Some(run_id) => runs::get_in(&conn, run_id)?.is_none_or(|r| r.state != runs::RunState::Running || !runs::owner_alive(&conn, &r)),
                None => false,
            };
            if dead {
                PreflightCheck::new("lock", "Lock", CheckOutcome::Pass, "The lock left by an interrupted run will be released.".into())
            } else {
                PreflightCheck::new("lock", "Lock", CheckOutcome::Fail, runs::held_message(&conn, &environment.name, &lock, tz, now)?)
            }
        }
    });

    // Credentials.
    if let Some(t) = &target {
        let mut names: Vec<&str> = t.settings.credentials.iter().map(|c| c.name.as_str()).collect();
        // The engine's login.
        names.extend(t.settings.remote.as_ref().filter(|_| t.settings.kind.engine().is_some()).map(|r| r.credential.as_str()));
        for s in &t.settings.smoke {
            if let super::smoke::SmokeCheck::Http(h) = s {
                if let Some(n) = h.credential.as_deref() {
                    names.push(n);
                }
            }
        }
        names.sort_unstable();
        names.dedup();
        let mut problems = Vec::new();
        for name in &names {
            let exists: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM credentials WHERE environment_id = ?1 AND name = ?2 COLLATE NOCASE)",
                params![environment.id, name],
                |r| r.get(0),
            )?;
            if !exists {
                problems.push(format!("“{name}” is not a credential of {}; add it under Environments.", environment.name));
                continue;
            }
            let key = SecretKey { project_id: project.id.clone(), environment_id: environment.id.clone(), name: (*name).to_owned() };
            match keychain.get(&key) {
                Ok(Some(_)) => {}
                Ok(None) => problems.push(format!("“{name}” has no value in the keychain; set it again under Environments.")),
                Err(e) => {
                    problems.push(e.to_string());
                    break;
                }
            }
        }
        checks.push(if problems.is_empty() {
            PreflightCheck::new(
                "credentials",
                "Credentials",
                CheckOutcome::Pass,
                if names.is_empty() { "The target needs no credentials.".into() } else { format!("{} in the keychain.", names.iter().map(|n| format!("“{n}”")).collect::<Vec<_>>().join(", ")) },
            )
        } else {
            PreflightCheck::new("credentials", "Credentials", CheckOutcome::Fail, problems.join(" "))
        });
    }

    // The programs: each command step can start (working folder, program,
    // execute bit, interpreter), before anything changes state.
    if let Some(t) = &target {
        let problems = match target::working_dir(&t.settings, &project.repository) {
            Err(message) => vec![message],
            Ok(dir) => program_problems(&t.settings, &dir),
        };
        checks.push(if problems.is_empty() {
            PreflightCheck::new("program", "Programs", CheckOutcome::Pass, "Every step's program is there and can be started.".into())
        } else {
            PreflightCheck::new("program", "Programs", CheckOutcome::Fail, problems.join(" "))
        });
    }

    let previous_version = runs::current_in(&conn, &environment.id)?.map(|r| r.version);

    // What ships: a breaking change among the commits is a warning.
    if kind == RunKind::Deploy {
        let shipping = super::shipping::between(&project.repository, previous_version.as_deref(), shipping_to(req, &version));
        let breaking = shipping.breaking();
        checks.push(if breaking.is_empty() {
            let reason = match (&shipping.note, shipping.commits.len()) {
                (Some(note), _) => note.clone(),
                (None, 0) => "No new commits.".into(),
                (None, n) => format!("{n} commit{} since {}, none breaking.", if n == 1 { "" } else { "s" }, shipping.from.as_deref().unwrap_or("the start")),
            };
            PreflightCheck::new("changes", "Changes", CheckOutcome::Pass, reason)
        } else {
            let list: Vec<String> = breaking.iter().take(3).map(|c| format!("“{}” ({})", c.subject, c.short)).collect();
            PreflightCheck::new(
                "changes",
                "Changes",
                CheckOutcome::Warn,
                format!(
                    "{} brings {} breaking change{}: {}. Check that what depends on it is ready.",
                    version,
                    breaking.len(),
                    if breaking.len() == 1 { "" } else { "s" },
                    list.join(", ")
                ),
            )
        });
    }

    Ok(Plan { project, environment, release, version, target, previous_version, checks })
}

/// What a deploy brings: its build reference, else its version.
pub(crate) fn shipping_to<'a>(req: &'a DeployRequest, version: &'a str) -> &'a str {
    let build = req.build_ref.trim();
    if build.is_empty() {
        version
    } else {
        build
    }
}

/// Why a step of the target could not start, one sentence per step.
fn program_problems(s: &target::TargetSettings, working_dir: &std::path::Path) -> Vec<String> {
    let mut commands: Vec<(String, &target::CommandSpec)> = s.before.iter().map(|b| (format!("The step “{}”", b.name), &b.command)).collect();
    if s.kind.engine().is_none() {
        commands.push(("The deploy".into(), &s.command));
    }
    commands.extend(s.after.iter().map(|a| (format!("The step “{}”", a.name), &a.command)));
    if let Some(bg) = &s.blue_green {
        commands.push(("The switch".into(), &bg.switch));
    }
    let mut out = Vec::new();
    for (name, c) in commands {
        if let Err(m) = super::exec::check_program(&c.program, c.through_shell, working_dir) {
            out.push(format!("{name}: {m}"));
        }
    }
    out
}

pub(crate) fn describe(c: &target::CommandSpec) -> String {
    if c.through_shell {
        format!("sh -c “{}”", c.program)
    } else if c.args.is_empty() {
        c.program.clone()
    } else {
        format!("{} {}", c.program, c.args.join(" "))
    }
}
