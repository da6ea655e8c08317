import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { tick } from "svelte";
import ProjectForm from "./ProjectForm.svelte";
import { CommandError } from "../lib/ipc";
import { notices } from "../lib/notices.svelte";

const initial = { name: "", description: "", repository: "", timeZone: "Europe/Berlin" };

describe("ProjectForm", () => {
  afterEach(cleanup);

  it("shows validation errors beside their fields and keeps the input", async () => {
    const onSubmit = vi.fn().mockRejectedValue(
      new CommandError({
        code: "validation",
        message: "2 fields need attention.",
        fields: { name: "Give the project a name.", repository: "Enter a local folder (/home/me/app)…" },
        detail: null,
      }),
    );
    render(ProjectForm, { initial, submitLabel: "Create project", onSubmit });
    await fireEvent.input(screen.getByLabelText(/Repository/), { target: { value: "nope" } });
    await fireEvent.click(screen.getByRole("button", { name: "Create project" }));
    await tick();
    await vi.waitFor(() => expect(screen.getByText("Give the project a name.")).toBeTruthy());

    const name = screen.getByLabelText("Name");
    expect(name.getAttribute("aria-invalid")).toBe("true");
    expect(name.getAttribute("aria-describedby")).toBe("project-name-error");
    expect(screen.getByText("Enter a local folder (/home/me/app)…")).toBeTruthy();
    expect((screen.getByLabelText(/Repository/) as HTMLInputElement).value).toBe("nope");
    expect(onSubmit).toHaveBeenCalledWith({ ...initial, repository: "nope" });

    // Typing in a field clears its message, not the others'.
    await fireEvent.input(name, { target: { value: "Atlas" } });
    expect(screen.queryByText("Give the project a name.")).toBeNull();
    expect(screen.getByText("Enter a local folder (/home/me/app)…")).toBeTruthy();
  });

  it("sends other failures to the notices, not beside a field", async () => {
    const onSubmit = vi.fn().mockRejectedValue(
      new CommandError({ code: "database", message: "The database could not be read or written.", fields: null, detail: null }),
    );
    render(ProjectForm, { initial: { ...initial, name: "Atlas" }, submitLabel: "Save changes", onSubmit });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await vi.waitFor(() =>
      expect(notices.list.some((n) => n.message === "The database could not be read or written.")).toBe(true),
    );
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
