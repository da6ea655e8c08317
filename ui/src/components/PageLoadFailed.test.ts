import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render, screen } from "@testing-library/svelte";
import PageLoadFailed from "./PageLoadFailed.svelte";

describe("PageLoadFailed", () => {
  afterEach(cleanup);

  it("says which load failed and what to do, and that nothing saved is lost", () => {
    render(PageLoadFailed, { error: new TypeError("Importing a module script failed.") });
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain("This page could not be loaded (Importing a module script failed.)");
    expect(alert.textContent).toContain("Restart Liftoff; if it happens again, reinstall it.");
    expect(alert.textContent).toContain("Nothing you saved is affected.");
  });

  it("reads an error that is not an Error", () => {
    render(PageLoadFailed, { error: "offline" });
    expect(screen.getByRole("alert").textContent).toContain("(offline)");
  });
});
