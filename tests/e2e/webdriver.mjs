// A small W3C WebDriver client: just what the end-to-end tests use, over
// fetch, so there is no browser-automation framework to install.

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class WebDriverError extends Error {}

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async create(base, capabilities) {
    const value = await request(base, "POST", "/session", { capabilities: { alwaysMatch: capabilities } });
    return new Session(base, value.sessionId);
  }

  cmd(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  async find(css) {
    const value = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return new Element(this, value[ELEMENT]);
  }

  async findAll(css) {
    const value = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return value.map((v) => new Element(this, v[ELEMENT]));
  }

  /** Waits until `css` matches an element, and returns it. */
  async waitFor(css, { timeoutMs = 15000 } = {}) {
    return this.waitUntil(async () => (await this.findAll(css))[0], `an element matching ${css}`, timeoutMs);
  }

  /** Waits until an element matching `css` shows `text` (a substring). */
  async waitForText(css, text, { timeoutMs = 15000 } = {}) {
    return this.waitUntil(
      async () => {
        for (const el of await this.findAll(css)) {
          if ((await el.text()).includes(text)) return el;
        }
        return undefined;
      },
      `“${text}” in ${css}`,
      timeoutMs,
    );
  }

  /**
   * Like `waitForText`, but reads `textContent`. WebKitWebDriver leaves text
   * in an `overflow: hidden` cell (an ellipsis) out of an element's visible
   * text even when it shows on the screen.
   */
  async waitForContent(css, text, { timeoutMs = 15000 } = {}) {
    return this.waitUntil(
      async () => {
        const contents = await this.execute("return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent)", [css]);
        const at = contents.findIndex((c) => c.includes(text));
        return at >= 0 ? (await this.findAll(css))[at] : undefined;
      },
      `“${text}” in the content of ${css}`,
      timeoutMs,
    );
  }

  async waitUntil(probe, what, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    let lastError;
    while (Date.now() < deadline) {
      try {
        const found = await probe();
        if (found) return found;
      } catch (e) {
        lastError = e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new WebDriverError(`Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ""}`);
  }

  execute(script, args = []) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  async pressKeys(keys) {
    const actions = [...keys].flatMap((k) => [
      { type: "keyDown", value: k },
      { type: "keyUp", value: k },
    ]);
    await this.cmd("POST", "/actions", { actions: [{ type: "key", id: "keyboard", actions }] });
    await this.cmd("DELETE", "/actions");
  }

  /** Presses the mouse at (x0, y0) in the viewport, moves it to (x1, y1) in steps, and lets go. */
  async drag(x0, y0, x1, y1, steps = 12) {
    const moves = Array.from({ length: steps }, (_, i) => ({
      type: "pointerMove",
      duration: 16,
      origin: "viewport",
      x: Math.round(x0 + ((x1 - x0) * (i + 1)) / steps),
      y: Math.round(y0 + ((y1 - y0) * (i + 1)) / steps),
    }));
    const actions = [
      { type: "pointerMove", duration: 0, origin: "viewport", x: Math.round(x0), y: Math.round(y0) },
      { type: "pointerDown", button: 0 },
      ...moves,
      { type: "pointerUp", button: 0 },
    ];
    await this.cmd("POST", "/actions", { actions: [{ type: "pointer", id: "mouse", parameters: { pointerType: "mouse" }, actions }] });
    await this.cmd("DELETE", "/actions");
  }

  async delete() {
    await request(this.base, "DELETE", `/session/${this.id}`);
  }
}

export class Element {
  constructor(session, id) {
    this.session = session;
    this.id = id;
  }
  /**
   * The page scrolls in its own area, above the notices' tray. WebKitWebDriver
   * scrolls an element into the window's view, not into that area's, so an
   * element half under the area's edge would not take a click or keys: show
   * it whole first, as a person would.
   */
  reveal() {
    return this.session.execute("arguments[0].scrollIntoView({ block: 'nearest', inline: 'nearest' })", [{ [ELEMENT]: this.id }]);
  }
  async click() {
    await this.reveal();
    return this.session.cmd("POST", `/element/${this.id}/click`, {});
  }
  async clear() {
    await this.reveal();
    return this.session.cmd("POST", `/element/${this.id}/clear`, {});
  }
  async type(text) {
    await this.reveal();
    return this.session.cmd("POST", `/element/${this.id}/value`, { text });
  }
  text() {
    return this.session.cmd("GET", `/element/${this.id}/text`);
  }
  property(name) {
    return this.session.cmd("GET", `/element/${this.id}/property/${name}`);
  }
  attribute(name) {
    return this.session.cmd("GET", `/element/${this.id}/attribute/${name}`);
  }
  displayed() {
    return this.session.cmd("GET", `/element/${this.id}/displayed`);
  }
}

async function request(base, method, path, body) {
  let response, text;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      // No single WebDriver command may hang a test run.
      signal: AbortSignal.timeout(60000),
    });
    text = await response.text();
  } catch (e) {
    // Name the command that hung or failed, not only "aborted".
    throw new WebDriverError(`${method} ${path.replace(/^\/session\/[^/]+/, "")}${body === undefined ? "" : ` ${JSON.stringify(body).slice(0, 200)}`}: ${e.message}`);
  }
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new WebDriverError(`${method} ${path}: HTTP ${response.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (!response.ok || (json.value && json.value.error)) {
    const v = json.value ?? {};
    throw new WebDriverError(`${method} ${path}: ${v.error ?? response.status}: ${v.message ?? text.slice(0, 300)}`);
  }
  return json.value;
}
