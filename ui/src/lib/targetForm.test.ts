import { describe, expect, it } from "vitest";
import type { TargetSettings } from "./bindings";
import {
  blankDraft,
  fieldPlace,
  fromSettings,
  linesToArgs,
  minutesToSecs,
  optionalText,
  parseEnv,
  secsToMinutes,
  shellLine,
  toSettings,
  variableFor,
} from "./targetForm";

const stored: TargetSettings = {
  kind: "localCommand",
  command: { program: "./deploy.sh", args: ["--env", "staging"], throughShell: false, timeoutSecs: 900 },
  workingDir: "/srv/app",
  env: [{ name: "REGION", value: "eu=1" }],
  credentials: [{ name: "deploy-token", variable: "DEPLOY_TOKEN" }],
  before: [{ name: "Backup", command: { program: "./backup.sh --full", args: [], throughShell: true, timeoutSecs: 600 } }],
  after: [],
  smoke: [
    {
      kind: "http",
      name: "Health",
      url: "{url}/health",
      method: "GET",
      expectStatus: 200,
      expectText: null,
      jsonField: "status",
      expectJson: "ok",
      maxLatencyMs: 500,
      credential: "deploy-token",
      withinSecs: 30,
    },
    { kind: "command", name: "Migrations", command: "./check.sh", timeoutSecs: 60 },
  ],
  rollbackOnFailure: true,
  leaveBackground: true,
  callsDeploySystem: true,
  acceptanceTests: ["Backup", "Migrations"],
  remote: null,
  blueGreen: { blueUrl: "https://blue.example.com", greenUrl: "https://green.example.com", switch: { program: "./switch.sh", args: [], throughShell: true, timeoutSecs: 120 } },
};

describe("target form conversions", () => {
  it("read argument lines, dropping empty ones", () => {
    expect(linesToArgs("--env\r\n\n  staging  \n")).toEqual(["--env", "staging"]);
    expect(linesToArgs("")).toEqual([]);
  });

  it("read NAME=value lines with the line each came from", () => {
    const { vars, lines } = parseEnv("REGION=eu\n\n# a comment\nURL=https://x?a=b\nEMPTY\n");
    expect(vars).toEqual([
      { name: "REGION", value: "eu" },
      { name: "URL", value: "https://x?a=b" },
      { name: "EMPTY", value: "" },
    ]);
    expect(lines).toEqual([1, 4, 5]);
  });

  it("turn minutes into seconds and back", () => {
    expect(minutesToSecs(15)).toBe(900);
    expect(minutesToSecs(1.5)).toBe(90);
    expect(minutesToSecs(null)).toBe(0);
    expect(secsToMinutes(90)).toBe(1.5);
    expect(secsToMinutes(70)).toBe(1.17);
  });

  it("make empty optional text none", () => {
    expect(optionalText("  ")).toBeNull();
    expect(optionalText(" ok ")).toBe("ok");
    expect(optionalText(null)).toBeNull();
  });

  it("name a credential's variable", () => {
    expect(variableFor("deploy-token")).toBe("DEPLOY_TOKEN");
    expect(variableFor("1password key")).toBe("_1PASSWORD_KEY");
  });

  it("quote arguments for a shell line", () => {
    expect(shellLine("./deploy.sh", ["--env", "it's here", "a b"])).toBe(`./deploy.sh --env 'it'"'"'s here' 'a b'`);
  });

  it("give back the stored settings unchanged", () => {
    expect(toSettings(fromSettings(stored))).toEqual(stored);
  });

  it("mark acceptance tests by name, and only a local command calls the deploy system", () => {
    const d = fromSettings(stored);
    expect(d.before[0].acceptance).toBe(true);
    expect(d.smoke.map((c) => c.acceptance)).toEqual([false, true]);
    d.smoke[0].acceptance = true;
    d.before[0].acceptance = false;
    expect(toSettings(d).acceptanceTests).toEqual(["Health", "Migrations"]);
    expect(toSettings({ ...d, kind: "jenkins" }).callsDeploySystem).toBe(false);
  });

  it("give back a Buildbot target unchanged, and drop its engine settings for a local command", () => {
    const buildbot: TargetSettings = {
      ...stored,
      kind: "buildbot",
      blueGreen: null,
      callsDeploySystem: false,
      remote: {
        url: "http://ci.example.com:8010",
        user: "lead",
        credential: "deploy-token",
        job: "deploy-prod",
        scheduler: "force-prod",
        project: "",
        gitRef: "",
        triggerCredential: "",
        inputs: [{ name: "version", value: "$LIFTOFF_VERSION" }],
        acceptWarnings: true,
        timeoutSecs: 1800,
      },
    };
    expect(toSettings(fromSettings(buildbot))).toEqual(buildbot);
    const local = { ...fromSettings(buildbot), kind: "localCommand" as const };
    expect(toSettings(local).remote).toBeNull();
  });

  it("give back a GitHub Actions target unchanged", () => {
    const github: TargetSettings = {
      ...stored,
      kind: "githubActions",
      blueGreen: null,
      callsDeploySystem: false,
      remote: {
        url: "",
        user: "",
        credential: "deploy-token",
        job: "deploy.yml",
        scheduler: "",
        project: "acme/shop",
        gitRef: "release",
        triggerCredential: "",
        inputs: [{ name: "version", value: "$LIFTOFF_VERSION" }],
        acceptWarnings: false,
        timeoutSecs: 1800,
      },
    };
    expect(toSettings(fromSettings(github))).toEqual(github);
    expect(fieldPlace("remote.project")).toBe("Engine: repository or project");
  });

  it("send a blank form as a local command with defaults left to the backend", () => {
    const d = { ...blankDraft(), program: "./deploy.sh", throughShell: true, argsText: "ignored", timeoutMinutes: null };
    const s = toSettings(d);
    expect(s.command).toEqual({ program: "./deploy.sh", args: [], throughShell: true, timeoutSecs: 0 });
    expect(s.blueGreen).toBeNull();
    expect(s.env).toEqual([]);
  });

  it("turn a step stored as program and arguments into a shell line", () => {
    const d = fromSettings({ ...stored, after: [{ name: "Warm", command: { program: "curl", args: ["-s", "a b"], throughShell: false, timeoutSecs: 30 } }] });
    expect(d.after).toEqual([{ name: "Warm", command: "curl -s 'a b'", timeoutSecs: 30, acceptance: false }]);
  });

  it("put field keys in words", () => {
    expect(fieldPlace("command.program")).toBe("Deploy command: program");
    expect(fieldPlace("smoke.0.url")).toBe("Smoke check 1: URL");
    expect(fieldPlace("before.1.command.timeoutSecs")).toBe("Step before 2: timeout");
    expect(fieldPlace("env.1.name", [1, 4])).toBe("Extra variables, line 4");
    expect(fieldPlace("blueGreen.blueUrl")).toBe("Blue-green: blue URL");
    expect(fieldPlace("workingDir")).toBe("Working folder");
  });
});
