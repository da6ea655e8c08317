import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render, screen } from "@testing-library/svelte";
import LazyPage from "./LazyPage.svelte";
import FieldError from "./FieldError.svelte";
import type { Component } from "svelte";

// render() does not infer LazyPage's props type from `load`: the page as any page.
const page = FieldError as unknown as Component<Record<string, unknown>>;

describe("LazyPage", () => {
  afterEach(cleanup);

  it("shows the loaded page with its props", async () => {
    // The props of the page under its own key: `props` is also an option of render.
    render(LazyPage, { props: { load: () => Promise.resolve({ default: page }), props: { id: "loaded", message: "The page is here." } } });
    expect((await screen.findByTestId("loaded")).textContent).toBe("The page is here.");
    expect(screen.queryByTestId("page-load-failed")).toBeNull();
  });

  it("says so when the page's code cannot load", async () => {
    render(LazyPage, { props: { load: () => Promise.reject(new TypeError("Importing a module script failed.")) } });
    expect((await screen.findByTestId("page-load-failed")).textContent).toContain("This page could not be loaded (Importing a module script failed.)");
  });
});
