import { beforeEach, describe, expect, it } from "vitest";
import { forgetTabs, go, nav, openProject } from "./nav.svelte";

describe("openProject", () => {
  beforeEach(() => {
    forgetTabs();
    go({ page: "projects" });
  });

  it("opens a project on its Timeline the first time", () => {
    openProject("p1");
    expect(nav.route).toEqual({ page: "project", id: "p1", tab: "timeline" });
  });

  it("comes back to the tab each project was left on", () => {
    go({ page: "project", id: "p1", tab: "deploys", runId: "r1" });
    go({ page: "project", id: "p2", tab: "people" });
    go({ page: "projects" });
    openProject("p1");
    // The tab, not the run that was open in it.
    expect(nav.route).toEqual({ page: "project", id: "p1", tab: "deploys" });
    openProject("p2");
    expect(nav.route).toEqual({ page: "project", id: "p2", tab: "people" });
    openProject("p3");
    expect(nav.route).toEqual({ page: "project", id: "p3", tab: "timeline" });
  });

  it("a new project's settings count as where it was left", () => {
    go({ page: "project", id: "new", tab: "settings" });
    go({ page: "projects" });
    openProject("new");
    expect(nav.route).toEqual({ page: "project", id: "new", tab: "settings" });
  });
});
