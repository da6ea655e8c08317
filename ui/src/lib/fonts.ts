// The fonts: the system's own where the web engine knows it by name
// (system-ui and ui-monospace in Safari's WebKit on macOS and in WebView2 on
// Windows). WebKitGTK on Linux knows neither name: each family name it
// cannot find costs a whole fontconfig search at the first layout (about
// 10 ms each on a cold start, measured with the page's start-up marks), and
// it then falls to the next name anyway. There the generic families are the
// system's own: fontconfig resolves them to the desktop's configured fonts.

const platform = typeof navigator === "undefined" ? "" : navigator.platform || navigator.userAgent;

/** WebKitGTK (Linux and the BSDs): not macOS, Windows, iOS or Android. */
export const generic = /Linux|BSD/.test(platform) && !/Android/.test(platform);

export const SANS = generic ? "sans-serif" : "system-ui, sans-serif";
export const MONO = generic ? "monospace" : "ui-monospace, monospace";

/** Gives the page the two families as --sans and --mono (styles.css uses them). */
export function applyFonts(root: HTMLElement = document.documentElement): void {
  root.style.setProperty("--sans", SANS);
  root.style.setProperty("--mono", MONO);
}
