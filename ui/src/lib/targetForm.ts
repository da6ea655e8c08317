// The deploy-target form's model and its conversions to and from the stored
// `TargetSettings`. The form edits text (argument lines, NAME=value lines,
// minutes); these functions turn it into what the backend validates, and
// the backend's field keys (`smoke.0.url`) into words for the summary.

import type { CommandSpec, CredentialUse, EnvVar, SmokeCheck, TargetKind, TargetSettings } from "./bindings";

export const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** A step before or after the deploy: one shell line. */
/** `acceptance`: an automated acceptance test (the maturity review counts it). */
export type StepDraft = { name: string; command: string; timeoutSecs: number | null; acceptance: boolean };

export type HttpDraft = {
  kind: "http";
  name: string;
  url: string;
  method: string;
  expectStatus: number | null;
  expectText: string;
  jsonField: string;
  expectJson: string;
  maxLatencyMs: number | null;
  credential: string;
  withinSecs: number | null;
  acceptance: boolean;
};

export type CommandCheckDraft = { kind: "command"; name: string; command: string; timeoutSecs: number | null; acceptance: boolean };

export type SmokeDraft = HttpDraft | CommandCheckDraft;

/** A CI/CD engine's part of a target. */
export type RemoteDraft = {
  url: string;
  user: string;
  credential: string;
  job: string;
  scheduler: string;
  project: string;
  gitRef: string;
  /** GitLab: the credential with a pipeline trigger token ("" for none). */
  triggerCredential: string;
  /** NAME=value lines: the parameters the job declares. */
  inputsText: string;
  acceptWarnings: boolean;
  timeoutMinutes: number | null;
};

export type TargetDraft = {
  kind: TargetKind;
  remote: RemoteDraft;
  program: string;
  argsText: string;
  throughShell: boolean;
  timeoutMinutes: number | null;
  workingDir: string;
  envText: string;
  credentials: CredentialUse[];
  before: StepDraft[];
  after: StepDraft[];
  smoke: SmokeDraft[];
  rollbackOnFailure: boolean;
  leaveBackground: boolean;
  /** A local command that hands the deploy to the team's deploy system. */
  callsDeploySystem: boolean;
  blueGreen: boolean;
  blueUrl: string;
  greenUrl: string;
  switchCommand: string;
  switchTimeoutSecs: number | null;
};

export const blankRemote = (): RemoteDraft => ({
  url: "",
  user: "",
  credential: "",
  job: "",
  scheduler: "",
  project: "",
  gitRef: "main",
  triggerCredential: "",
  inputsText: "version=$LIFTOFF_VERSION",
  acceptWarnings: false,
  timeoutMinutes: 30,
});

export const blankDraft = (): TargetDraft => ({
  kind: "localCommand",
  remote: blankRemote(),
  program: "",
  argsText: "",
  throughShell: false,
  timeoutMinutes: 15,
  workingDir: "",
  envText: "",
  credentials: [],
  before: [],
  after: [],
  smoke: [],
  rollbackOnFailure: false,
  leaveBackground: false,
  callsDeploySystem: false,
  blueGreen: false,
  blueUrl: "",
  greenUrl: "",
  switchCommand: "",
  switchTimeoutSecs: 120,
});

export const blankStep = (): StepDraft => ({ name: "", command: "", timeoutSecs: 600, acceptance: false });

export const blankHttpCheck = (): HttpDraft => ({
  kind: "http",
  name: "Health",
  url: "{url}/health",
  method: "GET",
  expectStatus: 200,
  expectText: "",
  jsonField: "",
  expectJson: "",
  maxLatencyMs: null,
  credential: "",
  withinSecs: 30,
  acceptance: false,
});

export const blankCommandCheck = (): CommandCheckDraft => ({ kind: "command", name: "", command: "", timeoutSecs: 60, acceptance: false });

/** The id and error attributes of the input for a backend field key (`smoke.0.url`). */
export function fieldAttrs(errors: Record<string, string>, key: string) {
  const bad = errors[key] !== undefined;
  return {
    id: `target-${key}`,
    "aria-invalid": bad ? ("true" as const) : undefined,
    "aria-describedby": bad ? `target-${key}-error` : undefined,
  };
}

/** One argument per line; empty lines are dropped, each line trimmed. */
export function linesToArgs(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

export function argsToLines(args: string[]): string {
  return args.join("\n");
}

/**
 * NAME=value lines as variables, with the line each came from (1-based), so
 * that the backend's `env.<i>.name` can point at a line. Empty lines and
 * lines starting with # are skipped; a line without = is a name with an
 * empty value. The value is kept as typed after the first =.
 */
export function parseEnv(text: string): { vars: EnvVar[]; lines: number[] } {
  const vars: EnvVar[] = [];
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trimStart();
    if (line.trim() === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    vars.push(eq === -1 ? { name: line.trim(), value: "" } : { name: line.slice(0, eq).trim(), value: line.slice(eq + 1) });
    lines.push(i + 1);
  });
  return { vars, lines };
}

export function envToText(vars: EnvVar[]): string {
  return vars.map((v) => `${v.name}=${v.value}`).join("\n");
}

/** Minutes as typed to whole seconds; empty is 0, which the backend reads as its default (15 minutes). */
export function minutesToSecs(minutes: number | null): number {
  return minutes === null || !Number.isFinite(minutes) ? 0 : Math.round(minutes * 60);
}

export function secsToMinutes(secs: number): number {
  return Math.round((secs / 60) * 100) / 100;
}

/** Optional text: empty (or only spaces) is none. */
export function optionalText(text: string | null | undefined): string | null {
  const t = (text ?? "").trim();
  return t === "" ? null : t;
}

/** An empty number input is none. */
export function optionalNumber(n: number | null | undefined): number | null {
  return n === null || n === undefined || !Number.isFinite(n) ? null : n;
}

/** A credential's name as an environment variable: `api-token` → `API_TOKEN`. */
export function variableFor(name: string): string {
  const v = name
    .trim()
    .toUpperCase()
    .replace(/[^A-Z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return /^[0-9]/.test(v) ? `_${v}` : v;
}

/** A program and its arguments as one `sh -c` line, quoting what needs it. */
export function shellLine(program: string, args: string[]): string {
  const quote = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`);
  return [program, ...args.map(quote)].join(" ");
}

function stepOf(spec: CommandSpec): { command: string; timeoutSecs: number } {
  return { command: spec.throughShell ? spec.program : shellLine(spec.program, spec.args), timeoutSecs: spec.timeoutSecs };
}

const shell = (command: string, timeoutSecs: number | null): CommandSpec => ({
  program: command,
  args: [],
  throughShell: true,
  timeoutSecs: timeoutSecs ?? 0,
});

export function fromSettings(s: TargetSettings): TargetDraft {
  const bg = s.blueGreen ? stepOf(s.blueGreen.switch) : null;
  const r = s.remote;
  const acceptance = (name: string) => (s.acceptanceTests ?? []).includes(name);
  return {
    kind: s.kind,
    remote: r
      ? {
          url: r.url,
          user: r.user,
          credential: r.credential,
          job: r.job,
          scheduler: r.scheduler,
          project: r.project ?? "",
          gitRef: r.gitRef ?? "",
          triggerCredential: r.triggerCredential ?? "",
          inputsText: envToText(r.inputs),
          acceptWarnings: r.acceptWarnings,
          timeoutMinutes: secsToMinutes(r.timeoutSecs),
        }
      : blankRemote(),
    program: s.command.program,
    argsText: s.command.throughShell ? "" : argsToLines(s.command.args),
    throughShell: s.command.throughShell,
    timeoutMinutes: secsToMinutes(s.command.timeoutSecs),
    workingDir: s.workingDir,
    envText: envToText(s.env),
    credentials: s.credentials.map((c) => ({ ...c })),
    before: s.before.map((st) => ({ name: st.name, ...stepOf(st.command), acceptance: acceptance(st.name) })),
    after: s.after.map((st) => ({ name: st.name, ...stepOf(st.command), acceptance: acceptance(st.name) })),
    smoke: s.smoke.map((c): SmokeDraft =>
      c.kind === "http"
        ? {
            kind: "http",
            name: c.name,
            url: c.url,
            method: c.method || "GET",
            expectStatus: c.expectStatus,
            expectText: c.expectText ?? "",
            jsonField: c.jsonField ?? "",
            expectJson: c.expectJson ?? "",
            maxLatencyMs: c.maxLatencyMs,
            credential: c.credential ?? "",
            withinSecs: c.withinSecs,
            acceptance: acceptance(c.name),
          }
        : { kind: "command", name: c.name, command: c.command, timeoutSecs: c.timeoutSecs, acceptance: acceptance(c.name) },
    ),
    rollbackOnFailure: s.rollbackOnFailure,
    leaveBackground: s.leaveBackground ?? false,
    callsDeploySystem: s.callsDeploySystem ?? false,
    blueGreen: s.blueGreen !== null,
    blueUrl: s.blueGreen?.blueUrl ?? "",
    greenUrl: s.blueGreen?.greenUrl ?? "",
    switchCommand: bg?.command ?? "",
    switchTimeoutSecs: bg?.timeoutSecs ?? 120,
  };
}

export function toSettings(d: TargetDraft): TargetSettings {
  const remote = d.kind === "localCommand" ? null : d.remote;
  return {
    kind: d.kind,
    remote: remote && {
      url: remote.url.trim(),
      user: remote.user.trim(),
      credential: remote.credential,
      job: remote.job.trim(),
      scheduler: remote.scheduler.trim(),
      project: remote.project.trim(),
      gitRef: remote.gitRef.trim(),
      triggerCredential: remote.triggerCredential,
      inputs: parseEnv(remote.inputsText).vars,
      acceptWarnings: remote.acceptWarnings,
      timeoutSecs: minutesToSecs(remote.timeoutMinutes),
    },
    command: {
      program: d.program,
      args: d.throughShell ? [] : linesToArgs(d.argsText),
      throughShell: d.throughShell,
      timeoutSecs: minutesToSecs(d.timeoutMinutes),
    },
    workingDir: d.workingDir.trim(),
    env: parseEnv(d.envText).vars,
    credentials: d.credentials.map((c) => ({ name: c.name, variable: c.variable.trim() })),
    before: d.before.map((st) => ({ name: st.name, command: shell(st.command, st.timeoutSecs) })),
    after: d.after.map((st) => ({ name: st.name, command: shell(st.command, st.timeoutSecs) })),
    smoke: d.smoke.map((c): SmokeCheck =>
      c.kind === "http"
        ? {
            kind: "http",
            name: c.name,
            url: c.url,
            method: c.method,
            // 0 is out of range: the backend then says what to enter.
            expectStatus: c.expectStatus ?? 0,
            expectText: optionalText(c.expectText),
            jsonField: optionalText(c.jsonField),
            expectJson: optionalText(c.expectJson),
            maxLatencyMs: optionalNumber(c.maxLatencyMs),
            credential: optionalText(c.credential),
            withinSecs: c.withinSecs ?? 0,
          }
        : { kind: "command", name: c.name, command: c.command, timeoutSecs: c.timeoutSecs ?? 0 },
    ),
    rollbackOnFailure: d.rollbackOnFailure,
    leaveBackground: d.leaveBackground,
    callsDeploySystem: d.kind === "localCommand" && d.callsDeploySystem,
    acceptanceTests: [...d.before, ...d.after, ...d.smoke].filter((x) => x.acceptance).map((x) => x.name.trim()),
    blueGreen: d.blueGreen
      ? { blueUrl: d.blueUrl.trim(), greenUrl: d.greenUrl.trim(), switch: shell(d.switchCommand, d.switchTimeoutSecs) }
      : null,
  };
}

const WORDS: Record<string, string> = {
  program: "program",
  args: "arguments",
  timeoutSecs: "timeout",
  name: "name",
  value: "value",
  variable: "variable",
  url: "URL",
  method: "method",
  expectStatus: "expected status",
  expectText: "body contains",
  jsonField: "JSON field",
  expectJson: "expected value",
  maxLatencyMs: "latency limit",
  credential: "credential",
  withinSecs: "keep trying",
  command: "command",
  blueUrl: "blue URL",
  greenUrl: "green URL",
  user: "login",
  job: "job",
  scheduler: "force scheduler",
  project: "repository or project",
  gitRef: "branch or tag",
};

/**
 * Where a backend field key is, in words: `smoke.0.url` → "Smoke check 1:
 * URL". `envLines` maps a variable's index to its line in the text.
 */
export function fieldPlace(key: string, envLines: number[] = []): string {
  const parts = key.split(".");
  const last = WORDS[parts[parts.length - 1]] ?? parts[parts.length - 1];
  const n = Number(parts[1]) + 1;
  switch (parts[0]) {
    case "command":
      return `Deploy command: ${last}`;
    case "workingDir":
      return "Working folder";
    case "remote":
      return parts[1] === "inputs" ? `Parameter line ${n}` : `Engine: ${WORDS[parts[1]] ?? parts[1]}`;
    case "env":
      return `Extra variables, line ${envLines[n - 1] ?? n}`;
    case "credentials":
      return `Credential ${n}: ${last}`;
    case "before":
      return `Step before ${n}: ${parts[2] === "command" && parts[3] === "program" ? "command" : last}`;
    case "after":
      return `Step after ${n}: ${parts[2] === "command" && parts[3] === "program" ? "command" : last}`;
    case "smoke":
      return `Smoke check ${n}: ${last}`;
    case "acceptanceTests":
      return `Acceptance test ${n}`;
    case "blueGreen":
      return `Blue-green: ${parts[1] === "switch" ? (parts[2] === "program" ? "switch command" : "switch timeout") : last}`;
    default:
      return key;
  }
}

/** One field of an engine's part of the form: its label and an example. */
export type EngineField = { label: string; placeholder: string; hint?: string };

/** What the form asks for each engine, and what it says about it. */
export type EngineForm = {
  name: string;
  /** What Liftoff does with it, in a sentence or two. */
  about: string;
  url: EngineField;
  user?: EngineField;
  credential: string;
  project?: EngineField;
  job?: EngineField;
  scheduler?: EngineField;
  gitRef?: EngineField;
  /** Where `liftoff_run_id` / `LIFTOFF_RUN_ID` must be declared. */
  inputs: string;
  /** The engine's result that counts as deployed when accepted, if any. */
  warnings?: string;
  /** GitLab: a second credential, a pipeline trigger token. */
  triggerCredential?: string;
};

export const ENGINE_FORMS: Record<Exclude<TargetKind, "localCommand">, EngineForm> = {
  githubActions: {
    name: "GitHub Actions",
    about:
      "Liftoff dispatches the workflow, follows its jobs (each job's log when it finishes; GitHub has no live log), shows an approval its environment waits for, and cancels it there when you cancel.",
    url: { label: "GitHub address", placeholder: "empty for github.com; https://github.example.com for Enterprise Server", hint: "optional" },
    credential: "Token",
    project: { label: "Repository", placeholder: "acme/shop" },
    job: { label: "Workflow file", placeholder: "deploy.yml" },
    gitRef: { label: "Branch or tag", placeholder: "main" },
    inputs: "the workflow must declare each under workflow_dispatch inputs, and liftoff_run_id, shown in its run-name",
  },
  gitlabCi: {
    name: "GitLab CI",
    about: "Liftoff creates a pipeline with these variables, follows its jobs and their logs as they grow, plays or approves what waits when allowed, and cancels it there when you cancel.",
    url: { label: "GitLab address", placeholder: "empty for gitlab.com; https://gitlab.example.com", hint: "optional" },
    credential: "Token",
    project: { label: "Project", placeholder: "group/shop or its number" },
    gitRef: { label: "Branch or tag", placeholder: "main" },
    inputs: "sent as pipeline variables with LIFTOFF_RUN_ID; the token's role must be allowed to set variables",
    triggerCredential: "Trigger token",
  },
  jenkins: {
    name: "Jenkins",
    about:
      "Liftoff queues a build with these parameters, follows it and its console log as it grows, answers an input step when allowed, and cancels it there (from the queue, or stop, term, kill) when you cancel.",
    url: { label: "Jenkins address", placeholder: "https://ci.example.com" },
    user: { label: "User", placeholder: "deploy-bot" },
    credential: "API token or password",
    job: { label: "Job", placeholder: "shop/deploy (with its folders)" },
    inputs: "the job must declare each under “This project is parameterized”, and LIFTOFF_RUN_ID",
    warnings: "A build that ends UNSTABLE counts as deployed",
  },
  buildbot: {
    name: "Buildbot",
    about: "Liftoff starts the builder through its force scheduler, follows its steps and log here, and cancels it there when you cancel.",
    url: { label: "Master address", placeholder: "http://ci.example.com:8010" },
    user: { label: "Login", placeholder: "deploy-bot" },
    credential: "Password",
    job: { label: "Builder", placeholder: "deploy-production" },
    scheduler: { label: "Force scheduler", placeholder: "force-deploy" },
    inputs: "the scheduler must declare each, and liftoff_run_id, which Liftoff sends",
    warnings: "A build that ends with warnings counts as deployed",
  },
  webhook: {
    name: "Webhook",
    about:
      "Liftoff POSTs the deploy as JSON to this address, signed (X-Liftoff-Signature: sha256=HMAC of the body with the secret) with the run's id as Idempotency-Key; when the answer names a status URL, Liftoff follows it (state, log, cancel), else the smoke checks decide.",
    url: { label: "Webhook URL", placeholder: "https://deploy.example.com/hooks/liftoff" },
    credential: "Signing secret",
    inputs: "sent in the JSON body under inputs",
  },
};
