// Marks of the start-up; scripts/bench-startup.mjs prints them from one
// untimed start (over WebDriver, apart from the timed starts).
performance.mark("liftoff:main");
import { mount } from "svelte";
import App from "./App.svelte";
import { applyFonts } from "./lib/fonts";
import "./styles.css";

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");
applyFonts();
mount(App, { target });
