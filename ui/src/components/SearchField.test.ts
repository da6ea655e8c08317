import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { tick } from "svelte";
import SearchField from "./SearchField.svelte";

describe("SearchField", () => {
  afterEach(cleanup);

  it("is a text field with the searchbox role, not <input type=search>", () => {
    render(SearchField, { "aria-label": "Search projects", placeholder: "Search" });
    const box = screen.getByRole("searchbox", { name: "Search projects" }) as HTMLInputElement;
    expect(box.type).toBe("text");
    expect(box.placeholder).toBe("Search");
    expect(document.querySelector("input[type=search]")).toBeNull();
    // Nothing typed, nothing to clear.
    expect(screen.queryByRole("button", { name: "Clear the search" })).toBeNull();
  });

  it("tells each change, and Escape and the clear button empty it", async () => {
    const oninput = vi.fn();
    render(SearchField, { "aria-label": "Find", oninput });
    const box = screen.getByRole("searchbox", { name: "Find" }) as HTMLInputElement;

    await fireEvent.input(box, { target: { value: "billing" } });
    expect(oninput).toHaveBeenCalledTimes(1);
    await tick();
    await fireEvent.keyDown(box, { key: "Escape" });
    await tick();
    expect(box.value).toBe("");
    expect(oninput).toHaveBeenCalledTimes(2);
    // Escape on an empty field is left to the page (a dialog's close, say).
    await fireEvent.keyDown(box, { key: "Escape" });
    expect(oninput).toHaveBeenCalledTimes(2);

    await fireEvent.input(box, { target: { value: "north" } });
    await tick();
    await fireEvent.click(screen.getByRole("button", { name: "Clear the search" }));
    await tick();
    expect(box.value).toBe("");
    expect(oninput).toHaveBeenCalledTimes(4);
    expect(document.activeElement).toBe(box);
    expect(screen.queryByRole("button", { name: "Clear the search" })).toBeNull();
  });
});
