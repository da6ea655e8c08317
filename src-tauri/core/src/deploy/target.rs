//! How an environment deploys: its target (one kind among several; the
//! local command is built in, CI engines slot in beside it), the steps
//! before and after, the smoke checks that verify it, and optional
//! blue-green slots. Stored as JSON in `deploy_targets.settings`; never a
//! secret value, only the names of the environment's credentials.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::smoke::{self, SmokeCheck};
use super::DeployError;
use crate::rules::{is_one_line, FieldErrors};
use crate::{clock, Store};
use crate::store::column::stored_text;

/// The kinds of target: a command on this machine, or a job on the team's
/// CI/CD engine (see [`super::remote`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum TargetKind {
    LocalCommand,
    GithubActions,
    GitlabCi,
    Jenkins,
    Buildbot,
    Webhook,
}

stored_text!(TargetKind { LocalCommand => "localCommand", GithubActions => "githubActions", GitlabCi => "gitlabCi", Jenkins => "jenkins", Buildbot => "buildbot", Webhook => "webhook" });

impl TargetKind {
    /// The engine's name, for messages ("Buildbot"); `None` for a local command.
    pub fn engine(self) -> Option<&'static str> {
        match self {
            TargetKind::LocalCommand => None,
            TargetKind::GithubActions => Some("GitHub Actions"),
            TargetKind::GitlabCi => Some("GitLab CI"),
            TargetKind::Jenkins => Some("Jenkins"),
            TargetKind::Buildbot => Some("Buildbot"),
            TargetKind::Webhook => Some("the webhook"),
        }
    }
}

/// A deploy that runs on the team's CI/CD engine: where, as whom, which
/// job, with what. The password or token stays in the keychain: this names
/// the environment's credential that holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RemoteTarget {
    /// The engine's web address ("http://ci.example.com:8010"); GitHub and
    /// GitLab: empty for github.com and gitlab.com.
    pub url: String,
    /// The login the engine knows Liftoff by (Buildbot, Jenkins).
    pub user: String,
    /// The environment's credential with the login's password or token
    /// (Jenkins: an API token credential needs no crumb).
    pub credential: String,
    /// Buildbot: the builder; GitHub: the workflow's file ("deploy.yml");
    /// Jenkins: the job with its folders ("shop/deploy").
    pub job: String,
    /// Buildbot: the force scheduler that starts the builder.
    pub scheduler: String,
    /// GitHub: the repository ("acme/shop"); GitLab: the project's path or
    /// number.
    #[serde(default)]
    pub project: String,
    /// GitHub, GitLab: the branch or tag the workflow or pipeline runs from
    /// (empty: main).
    #[serde(default)]
    pub git_ref: String,
    /// GitLab: the credential with a pipeline trigger token, to create
    /// pipelines through the trigger API (then the token in `credential`
    /// only reads); empty: pipelines are created with `credential`.
    #[serde(default)]
    pub trigger_credential: String,
    /// Parameters the job declares, sent with each deploy; a value may name
    /// Liftoff's variables (`$LIFTOFF_VERSION`, `$LIFTOFF_BUILD_REF`, ...).
    /// `liftoff_run_id` is always sent: declare it on the engine.
    pub inputs: Vec<EnvVar>,
    /// Buildbot's "warnings" counts as success.
    pub accept_warnings: bool,
    /// How long the engine's job may take before Liftoff cancels it.
    pub timeout_secs: i32,
}

/// A program with its arguments as a list, or (with `throughShell`) one
/// line handed to `sh -c`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CommandSpec {
    pub program: String,
    pub args: Vec<String>,
    pub through_shell: bool,
    pub timeout_secs: i32,
}

/// A step before (backup, migrations) or after (cache warm-up) the deploy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ExtraStep {
    pub name: String,
    pub command: CommandSpec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

/// A credential of the environment handed to the deploy as a variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CredentialUse {
    /// The credential's name in the environment.
    pub name: String,
    /// The environment variable the child receives it in.
    pub variable: String,
}

/// Two slots, each with its URL; a deploy goes to the idle one and the
/// switch command moves users to it (`LIFTOFF_SLOT` names the slot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BlueGreen {
    pub blue_url: String,
    pub green_url: String,
    pub switch: CommandSpec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TargetSettings {
    pub kind: TargetKind,
    /// The deploy itself.
    pub command: CommandSpec,
    /// Empty: the project's repository folder.
    pub working_dir: String,
    pub env: Vec<EnvVar>,
    pub credentials: Vec<CredentialUse>,
    pub before: Vec<ExtraStep>,
    pub after: Vec<ExtraStep>,
    pub smoke: Vec<SmokeCheck>,
    /// Roll back by itself when the smoke checks fail.
    pub rollback_on_failure: bool,
    pub blue_green: Option<BlueGreen>,
    /// Processes a step starts in the background and leaves running when it
    /// exits are stopped with the step, unless this is set (then they are
    /// listed in the run's log and left running).
    #[serde(default)]
    pub leave_background: bool,
    /// The engine's job, for every kind but the local command (whose deploy
    /// is `command`).
    #[serde(default)]
    pub remote: Option<RemoteTarget>,
    /// A local command that hands the deploy to the team's deploy system
    /// (Ansible, Argo CD, a release script on a build server…) rather than
    /// copying files from this machine. The maturity review counts such a
    /// target as automated; an unmarked local command is a level 0 sign.
    #[serde(default)]
    pub calls_deploy_system: bool,
    /// The names of the extra steps and smoke checks that are automated
    /// acceptance tests (the maturity review's level 2 asks that they run
    /// and pass on production deploys).
    #[serde(default)]
    pub acceptance_tests: Vec<String>,
}

impl TargetSettings {
    /// A local command target with this deploy step and nothing else (no
    /// extra steps, smoke checks, credentials or slots).
    pub fn local_command(command: CommandSpec) -> TargetSettings {
        TargetSettings {
            kind: TargetKind::LocalCommand,
            command,
            working_dir: String::new(),
            env: Vec::new(),
            credentials: Vec::new(),
            before: Vec::new(),
            after: Vec::new(),
            smoke: Vec::new(),
            rollback_on_failure: false,
            blue_green: None,
            leave_background: false,
            remote: None,
            calls_deploy_system: false,
            acceptance_tests: Vec::new(),
        }
    }

    /// Whether the step or smoke check of this name (a smoke check's step is
    /// “Smoke: name”) is marked an automated acceptance test.
    pub fn is_acceptance_test(&self, step_name: &str) -> bool {
        let name = step_name.strip_prefix("Smoke: ").unwrap_or(step_name);
        self.acceptance_tests.iter().any(|a| a == name || a == step_name)
    }

    /// Whether a command runs on this machine (a step, the deploy itself, a
    /// command check or a switch): such targets need a working folder.
    pub fn runs_local_commands(&self) -> bool {
        self.kind == TargetKind::LocalCommand
            || !self.before.is_empty()
            || !self.after.is_empty()
            || self.blue_green.is_some()
            || self.smoke.iter().any(|c| matches!(c, SmokeCheck::Command(_)))
    }
}

/// An environment's target as stored, with the blue-green slot users are on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub environment_id: String,
    pub settings: TargetSettings,
    pub live_slot: Option<String>,
    pub updated_at: String,
}

pub const DEFAULT_TIMEOUT_SECS: i32 = 15 * 60;
pub const MAX_TIMEOUT_SECS: i32 = 24 * 60 * 60;
const RESERVED: [&str; 8] = [
    "LIFTOFF_VERSION",
    "LIFTOFF_ENVIRONMENT",
    "LIFTOFF_PROJECT",
    "LIFTOFF_RELEASE",
    "LIFTOFF_RUN_ID",
    "LIFTOFF_PREVIOUS_VERSION",
    "LIFTOFF_SLOT",
    "LIFTOFF_SLOT_URL",
];

pub fn get(store: &Store, environment_id: &str) -> Result<Option<Target>, DeployError> {
    get_in(&*store.reader()?, environment_id)
}

pub(crate) fn get_in(conn: &Connection, environment_id: &str) -> Result<Option<Target>, DeployError> {
    let row: Option<(String, Option<String>, String)> = conn
        .query_row(
            "SELECT settings, live_slot, updated_at FROM deploy_targets WHERE environment_id = ?1",
            params![environment_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((settings, live_slot, updated_at)) = row else { return Ok(None) };
    let settings: TargetSettings = serde_json::from_str(&settings).map_err(|_| DeployError::TargetDamaged)?;
    Ok(Some(Target { environment_id: environment_id.to_owned(), settings, live_slot, updated_at }))
}

/// Saves (replaces) the environment's target after checking every field.
pub fn set(store: &Store, environment_id: &str, settings: &TargetSettings, now: DateTime<Utc>) -> Result<Target, DeployError> {
    let clean = validate(settings)?;
    store.write(|tx| set_in(tx, environment_id, &clean, now))
}

/// [`set`] inside the caller's transaction, of checked settings.
pub(crate) fn set_in(tx: &Connection, environment_id: &str, clean: &TargetSettings, now: DateTime<Utc>) -> Result<Target, DeployError> {
    if crate::environments::project_of(tx, environment_id)?.is_none() {
        return Err(DeployError::EnvironmentNotFound);
    }
    let json = serde_json::to_string(clean).expect("settings serialize");
    // Slots that are no longer used forget which one was live.
    let keep_slot = clean.blue_green.is_some();
    tx.execute(
        "INSERT INTO deploy_targets (environment_id, kind, settings, live_slot, updated_at) VALUES (?1, ?2, ?3, NULL, ?4)
         ON CONFLICT (environment_id) DO UPDATE SET kind = excluded.kind, settings = excluded.settings,
             live_slot = CASE WHEN ?5 THEN live_slot END, updated_at = excluded.updated_at",
        params![environment_id, clean.kind.as_str(), json, clock::to_text(now), keep_slot],
    )?;
    get_in(tx, environment_id)?.ok_or(DeployError::EnvironmentNotFound)
}

/// Removes the target: the environment can no longer be deployed to.
pub fn clear(store: &Store, environment_id: &str) -> Result<(), DeployError> {
    store.write(|tx| {
        tx.execute("DELETE FROM deploy_targets WHERE environment_id = ?1", params![environment_id])?;
        Ok(())
    })
}

fn check_command(errors: &mut FieldErrors, field: &str, c: &CommandSpec) -> CommandSpec {
    let clean = CommandSpec {
        program: c.program.trim().to_owned(),
        args: c.args.iter().map(|a| a.to_owned()).collect(),
        through_shell: c.through_shell,
        timeout_secs: if c.timeout_secs == 0 { DEFAULT_TIMEOUT_SECS } else { c.timeout_secs },
    };
    if clean.program.is_empty() {
        errors.insert(format!("{field}.program"), "Enter the program to run, such as ./deploy.sh.".into());
    } else if !clean.through_shell && !is_one_line(&clean.program, 1000) {
        errors.insert(format!("{field}.program"), "Enter one program (a path or a name on PATH); put its arguments in the arguments list.".into());
    } else if clean.program.len() > 10_000 {
        errors.insert(format!("{field}.program"), "The command is too long (at most 10,000 characters).".into());
    }
    if clean.args.len() > 100 || clean.args.iter().any(|a| a.contains('\0') || a.len() > 4000) {
        errors.insert(format!("{field}.args"), "Give at most 100 arguments of at most 4,000 characters each.".into());
    }
    if !(1..=MAX_TIMEOUT_SECS).contains(&clean.timeout_secs) {
        errors.insert(format!("{field}.timeoutSecs"), "The timeout must be between 1 second and 24 hours.".into());
    }
    clean
}

fn check_name(errors: &mut FieldErrors, field: &str, name: &str) -> String {
    let name = name.trim().to_owned();
    if !is_one_line(&name, 80) || name.is_empty() {
        errors.insert(field.to_owned(), "Give the step a name of one line, at most 80 characters.".into());
    }
    name
}

fn is_variable_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl RemoteTarget {
    /// What the target starts, in words ("the builder “deploy” through the
    /// force scheduler “force” at http://ci:8010, as lead").
    pub fn describe(&self, kind: TargetKind) -> String {
        let git_ref = if self.git_ref.is_empty() { "main" } else { self.git_ref.as_str() };
        match kind {
            TargetKind::Buildbot => format!("the builder “{}” through the force scheduler “{}” at {}, as {}", self.job, self.scheduler, self.url, self.user),
            TargetKind::GithubActions => format!("the workflow {} of {} on {git_ref}", self.job, self.project),
            TargetKind::GitlabCi => format!("a pipeline of {} on {git_ref}", self.project),
            TargetKind::Jenkins => format!("the job {} at {}, as {}", self.job, self.url, self.user),
            TargetKind::Webhook => format!("a signed POST to {}", self.url),
            TargetKind::LocalCommand => "a command on this computer".into(),
        }
    }
}

/// The variable names a remote input's value may use.
pub const INPUT_VARIABLES: [&str; 7] =
    ["LIFTOFF_VERSION", "LIFTOFF_ENVIRONMENT", "LIFTOFF_PROJECT", "LIFTOFF_RELEASE", "LIFTOFF_RUN_ID", "LIFTOFF_PREVIOUS_VERSION", "LIFTOFF_BUILD_REF"];

pub fn validate(s: &TargetSettings) -> Result<TargetSettings, DeployError> {
    let mut errors = FieldErrors::new();
    let (command, remote) = match s.kind.engine() {
        None => (check_command(&mut errors, "command", &s.command), None),
        Some(engine) => (CommandSpec::default(), Some(check_remote(&mut errors, s.kind, engine, s.remote.as_ref()))),
    };
    let working_dir = s.working_dir.trim().to_owned();
    if !working_dir.is_empty() && !Path::new(&working_dir).is_absolute() {
        errors.insert("workingDir".into(), "Give the working folder as a full path, or leave it empty for the project's repository folder.".into());
    }
    let mut env = Vec::new();
    for (i, v) in s.env.iter().enumerate() {
        let name = v.name.trim().to_owned();
        if !is_variable_name(&name) {
            errors.insert(format!("env.{i}.name"), format!("“{name}” is not a variable name: use letters, digits and _, not starting with a digit."));
        } else if RESERVED.contains(&name.as_str()) {
            errors.insert(format!("env.{i}.name"), format!("{name} is set by Liftoff itself; choose another name."));
        } else if v.value.contains('\0') {
            errors.insert(format!("env.{i}.value"), "A variable's value cannot contain a NUL character.".into());
        }
        env.push(EnvVar { name, value: v.value.clone() });
    }
    let mut credentials = Vec::new();
    for (i, c) in s.credentials.iter().enumerate() {
        let variable = c.variable.trim().to_owned();
        if !is_variable_name(&variable) || RESERVED.contains(&variable.as_str()) {
            errors.insert(format!("credentials.{i}.variable"), format!("“{variable}” cannot be used as the variable for a credential: use letters, digits and _, and not a LIFTOFF_ name."));
        }
        if env.iter().any(|v| v.name == variable) {
            errors.insert(format!("credentials.{i}.variable"), format!("{variable} is also set as a plain variable; use one or the other."));
        }
        credentials.push(CredentialUse { name: c.name.trim().to_owned(), variable });
    }
    let mut steps = |list: &[ExtraStep], field: &str| -> Vec<ExtraStep> {
        list.iter()
            .enumerate()
            .map(|(i, st)| ExtraStep {
                name: check_name(&mut errors, &format!("{field}.{i}.name"), &st.name),
                command: check_command(&mut errors, &format!("{field}.{i}.command"), &st.command),
            })
            .collect()
    };
    let before = steps(&s.before, "before");
    let after = steps(&s.after, "after");
    let mut smoke_checks = Vec::new();
    for (i, check) in s.smoke.iter().enumerate() {
        match check {
            SmokeCheck::Http(h) => match smoke::validate(h) {
                Ok(h) => smoke_checks.push(SmokeCheck::Http(h)),
                Err(fields) => {
                    for (k, v) in fields {
                        errors.insert(format!("smoke.{i}.{k}"), v);
                    }
                }
            },
            SmokeCheck::Command(c) => {
                let name = check_name(&mut errors, &format!("smoke.{i}.name"), &c.name);
                if c.command.trim().is_empty() {
                    errors.insert(format!("smoke.{i}.command"), "Enter the command the check runs (through sh).".into());
                }
                if !(1..=3600).contains(&c.timeout_secs) {
                    errors.insert(format!("smoke.{i}.timeoutSecs"), "The timeout must be between 1 second and an hour.".into());
                }
                smoke_checks.push(SmokeCheck::Command(smoke::CommandCheck { name, command: c.command.trim().to_owned(), timeout_secs: c.timeout_secs }));
            }
        }
    }
    let blue_green = s.blue_green.as_ref().map(|b| {
        for (field, url) in [("blueGreen.blueUrl", &b.blue_url), ("blueGreen.greenUrl", &b.green_url)] {
            if url.trim().is_empty() {
                errors.insert(field.into(), "Give the slot's URL, such as https://blue.example.com; its smoke checks run against it.".into());
            } else if let Err(m) = crate::environments::check_http_url(url.trim(), "The slot's URL") {
                errors.insert(field.into(), m);
            }
        }
        if b.blue_url.trim() == b.green_url.trim() && !b.blue_url.trim().is_empty() {
            errors.insert("blueGreen.greenUrl".into(), "The two slots need different URLs.".into());
        }
        BlueGreen {
            blue_url: b.blue_url.trim().to_owned(),
            green_url: b.green_url.trim().to_owned(),
            switch: check_command(&mut errors, "blueGreen.switch", &b.switch),
        }
    });
    let mut acceptance_tests: Vec<String> = Vec::new();
    for (i, name) in s.acceptance_tests.iter().enumerate() {
        let name = name.trim().to_owned();
        let named = before.iter().chain(after.iter()).any(|st| st.name == name)
            || smoke_checks.iter().any(|c| match c {
                SmokeCheck::Http(h) => h.name == name,
                SmokeCheck::Command(c) => c.name == name,
            });
        if !named {
            errors.insert(format!("acceptanceTests.{i}"), format!("No step or smoke check is named “{name}”; mark one of this target's own steps or checks."));
        } else if !acceptance_tests.contains(&name) {
            acceptance_tests.push(name);
        }
    }
    if !errors.is_empty() {
        return Err(DeployError::Invalid(errors));
    }
    Ok(TargetSettings {
        kind: s.kind,
        command,
        working_dir,
        env,
        credentials,
        before,
        after,
        smoke: smoke_checks,
        rollback_on_failure: s.rollback_on_failure,
        leave_background: s.leave_background,
        blue_green,
        remote,
        calls_deploy_system: s.calls_deploy_system && s.kind == TargetKind::LocalCommand,
        acceptance_tests,
    })
}

fn check_remote(errors: &mut FieldErrors, kind: TargetKind, engine: &str, r: Option<&RemoteTarget>) -> RemoteTarget {
    let empty = RemoteTarget::default();
    let r = r.unwrap_or(&empty);
    let one_line = |v: &str| v.trim().to_owned();
    let mut clean = RemoteTarget {
        url: r.url.trim().trim_end_matches('/').to_owned(),
        user: one_line(&r.user),
        credential: one_line(&r.credential),
        job: one_line(&r.job),
        scheduler: one_line(&r.scheduler),
        project: one_line(&r.project).trim_matches('/').to_owned(),
        git_ref: one_line(&r.git_ref),
        trigger_credential: if kind == TargetKind::GitlabCi { one_line(&r.trigger_credential) } else { String::new() },
        inputs: Vec::new(),
        accept_warnings: r.accept_warnings,
        timeout_secs: if r.timeout_secs == 0 { DEFAULT_TIMEOUT_SECS } else { r.timeout_secs },
    };
    // What each engine needs: (field, message when empty).
    let needs: &[(&str, &str)] = match kind {
        TargetKind::Buildbot => &[
            ("url", "Give the Buildbot master's web address, such as http://ci.example.com:8010."),
            ("user", "Give the Buildbot login Liftoff uses."),
            ("job", "Give the builder that deploys, as the master names it."),
            ("scheduler", "Give the force scheduler that starts the builder."),
        ],
        TargetKind::GithubActions => &[
            ("project", "Give the repository as owner/name, such as acme/shop."),
            ("job", "Give the workflow's file name in .github/workflows, such as deploy.yml."),
        ],
        TargetKind::GitlabCi => &[("project", "Give the GitLab project's path (group/shop) or its number.")],
        TargetKind::Jenkins => &[
            ("url", "Give the Jenkins server's web address, such as https://ci.example.com."),
            ("user", "Give the Jenkins user Liftoff logs in as."),
            ("job", "Give the job to build, with its folders: shop/deploy."),
        ],
        TargetKind::Webhook => &[("url", "Give the webhook's full address, such as https://deploy.example.com/hooks/liftoff.")],
        TargetKind::LocalCommand => &[],
    };
    for (field, message) in needs {
        let value = match *field {
            "url" => &clean.url,
            "user" => &clean.user,
            "job" => &clean.job,
            "scheduler" => &clean.scheduler,
            _ => &clean.project,
        };
        if value.is_empty() {
            errors.insert(format!("remote.{field}"), (*message).into());
        }
    }
    for (field, value) in [("user", &clean.user), ("job", &clean.job), ("scheduler", &clean.scheduler), ("project", &clean.project), ("gitRef", &clean.git_ref)] {
        if !value.is_empty() && !is_one_line(value, 300) {
            errors.insert(format!("remote.{field}"), "Give one line of at most 300 characters.".into());
        }
    }
    if kind == TargetKind::GithubActions && !clean.project.is_empty() && clean.project.split('/').filter(|p| !p.is_empty()).count() != 2 {
        errors.insert("remote.project".into(), format!("“{}” is not a GitHub repository: write it as owner/name, such as acme/shop.", clean.project));
    }
    if !clean.url.is_empty() {
        if let Err(m) = crate::environments::check_http_url(&clean.url, &format!("The {engine} address")) {
            errors.insert("remote.url".into(), m);
        }
    }
    if clean.credential.is_empty() {
        let what = if kind == TargetKind::Webhook { "secret that signs the webhook's requests".to_owned() } else { format!("{engine} password or token") };
        errors.insert("remote.credential".into(), format!("Choose the environment's credential that holds the {what}."));
    }
    let run_input = if matches!(kind, TargetKind::GitlabCi | TargetKind::Jenkins) { "LIFTOFF_RUN_ID" } else { "liftoff_run_id" };
    for (i, v) in r.inputs.iter().enumerate() {
        let name = v.name.trim().to_owned();
        if !is_variable_name(&name) {
            errors.insert(format!("remote.inputs.{i}.name"), format!("“{name}” is not a parameter name: use letters, digits and _, not starting with a digit."));
        } else if name.eq_ignore_ascii_case(run_input) {
            errors.insert(format!("remote.inputs.{i}.name"), format!("{run_input} is sent by Liftoff itself; remove it here."));
        } else if clean.inputs.iter().any(|c: &EnvVar| c.name == name) {
            errors.insert(format!("remote.inputs.{i}.name"), format!("{name} is given twice."));
        }
        if v.value.contains('\0') || v.value.len() > 4000 {
            errors.insert(format!("remote.inputs.{i}.value"), "A parameter's value must be text of at most 4,000 characters.".into());
        }
        clean.inputs.push(EnvVar { name, value: v.value.clone() });
    }
    if !(1..=MAX_TIMEOUT_SECS).contains(&clean.timeout_secs) {
        errors.insert("remote.timeoutSecs".into(), "The timeout must be between 1 second and 24 hours.".into());
    }
    clean
}

/// An input's value with Liftoff's variables (`$NAME` or `${NAME}`, among
/// [`INPUT_VARIABLES`]) replaced by their values in `vars`; other text is
/// kept as written.
pub fn expand_input(value: &str, vars: &[(String, String)]) -> String {
    let mut out = value.to_owned();
    for name in INPUT_VARIABLES {
        let Some((_, v)) = vars.iter().find(|(n, _)| n == name) else { continue };
        out = out.replace(&format!("${{{name}}}"), v);
        // The longest names first would matter if one were a prefix of
        // another followed by a name character; none is.
        let mut rest = out.as_str();
        let mut done = String::new();
        while let Some(at) = rest.find(&format!("${name}")) {
            let after = &rest[at + 1 + name.len()..];
            done.push_str(&rest[..at]);
            if after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                done.push_str(&rest[at..at + 1 + name.len()]);
            } else {
                done.push_str(v);
            }
            rest = after;
        }
        done.push_str(rest);
        out = done;
    }
    out
}

/// Where the target's commands run: its own folder, or the project's
/// repository when that is a local folder.
pub fn working_dir(settings: &TargetSettings, repository: &str) -> Result<PathBuf, String> {
    if !settings.working_dir.is_empty() {
        return Ok(PathBuf::from(&settings.working_dir));
    }
    let repo = repository.trim();
    if !settings.runs_local_commands() && (repo.is_empty() || repo.contains("://") || repo.starts_with("git@")) {
        // Nothing runs here: the folder is never used.
        return Ok(std::env::temp_dir());
    }
    if repo.is_empty() || repo.contains("://") || repo.starts_with("git@") {
        return Err("The target has no working folder, and the project's repository is not a local folder. Set the target's working folder.".into());
    }
    Ok(PathBuf::from(repo))
}

/// The blue-green slot that now serves users, after a run switched to it.
pub(crate) fn set_live_slot_in(tx: &rusqlite::Connection, environment_id: &str, slot: &str) -> rusqlite::Result<()> {
    tx.execute("UPDATE deploy_targets SET live_slot = ?2 WHERE environment_id = ?1", rusqlite::params![environment_id, slot])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buildbot(remote: RemoteTarget) -> TargetSettings {
        TargetSettings { kind: TargetKind::Buildbot, remote: Some(remote), ..TargetSettings::local_command(CommandSpec::default()) }
    }

    fn good() -> RemoteTarget {
        RemoteTarget {
            url: " http://ci.example.com:8010/ ".into(),
            user: "lead".into(),
            credential: "BUILDBOT_PASSWORD".into(),
            job: "deploy".into(),
            scheduler: "force-deploy".into(),
            project: String::new(),
            git_ref: String::new(),
            trigger_credential: String::new(),
            inputs: vec![EnvVar { name: "version".into(), value: "$LIFTOFF_VERSION".into() }],
            accept_warnings: false,
            timeout_secs: 0,
        }
    }

    #[test]
    fn an_engine_target_needs_no_command_and_is_cleaned() {
        let clean = validate(&buildbot(good())).unwrap();
        let r = clean.remote.unwrap();
        assert_eq!(r.url, "http://ci.example.com:8010");
        assert_eq!(r.timeout_secs, DEFAULT_TIMEOUT_SECS);
        assert_eq!(clean.command, CommandSpec::default());
        // A local command target keeps no engine settings.
        let local = TargetSettings { remote: Some(good()), ..TargetSettings::local_command(CommandSpec { program: "./deploy.sh".into(), ..CommandSpec::default() }) };
        assert_eq!(validate(&local).unwrap().remote, None);
    }

    #[test]
    fn an_engine_target_names_each_missing_field() {
        let Err(DeployError::Invalid(errors)) = validate(&buildbot(RemoteTarget { inputs: vec![EnvVar { name: "liftoff_run_id".into(), value: String::new() }], ..RemoteTarget::default() }))
        else {
            panic!("an empty engine target was accepted")
        };
        for field in ["remote.url", "remote.user", "remote.credential", "remote.job", "remote.scheduler", "remote.inputs.0.name"] {
            assert!(errors.contains_key(field), "{field} not named: {errors:?}");
        }
        let Err(DeployError::Invalid(errors)) = validate(&buildbot(RemoteTarget { url: "ftp://ci".into(), ..good() })) else { panic!("ftp accepted") };
        assert!(errors.contains_key("remote.url"), "{errors:?}");
        // Saved before engines existed: still reads.
        let old: TargetSettings = serde_json::from_str(
            r#"{"kind":"localCommand","command":{"program":"./d.sh","args":[],"throughShell":false,"timeoutSecs":60},"workingDir":"","env":[],"credentials":[],"before":[],"after":[],"smoke":[],"rollbackOnFailure":false,"blueGreen":null}"#,
        )
        .unwrap();
        assert_eq!(old.remote, None);
    }

    #[test]
    fn inputs_name_liftoffs_variables() {
        let vars = vec![("LIFTOFF_VERSION".to_owned(), "2.4.0".to_owned()), ("LIFTOFF_BUILD_REF".to_owned(), "abc123".to_owned())];
        assert_eq!(expand_input("$LIFTOFF_VERSION", &vars), "2.4.0");
        assert_eq!(expand_input("v${LIFTOFF_VERSION}-$LIFTOFF_BUILD_REF!", &vars), "v2.4.0-abc123!");
        assert_eq!(expand_input("$LIFTOFF_VERSIONS $HOME $LIFTOFF_PROJECT", &vars), "$LIFTOFF_VERSIONS $HOME $LIFTOFF_PROJECT");
    }
}
