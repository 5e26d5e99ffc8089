// Shared pieces of the console browser tests: the server under test (admin API and SCIM from
// Node), Chromium, and assertions that wait for what the user sees.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

/** The idplex server under test, e.g. `http://127.0.0.1:34567`. */
export const BASE = need("IDPLEX_URL").replace(/\/$/, "");
/** Its admin token. */
export const ADMIN_TOKEN = need("IDPLEX_ADMIN_TOKEN");
/** Debian's Chromium unless told otherwise. */
const CHROMIUM = process.env.IDPLEX_CHROMIUM || "/usr/bin/chromium";
/** Where viewport screenshots go (gitignored under target/). */
const SHOTS = process.env.IDPLEX_SCREENSHOTS || new URL("../../target/browser-screenshots", import.meta.url).pathname;
/** axe-core, injected into the page for the accessibility checks. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
/** How long an assertion waits for the page to show what it expects. */
const WAIT_MS = Number(process.env.IDPLEX_BROWSER_WAIT_MS || 15_000);

function need(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: these tests are run by \`cargo test --release -p idplex-e2e --test console_browser\` (see tests/browser/README.md)`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// The server, from Node
// ---------------------------------------------------------------------------------------------

/** An admin API call; returns `{status, body}`. */
export async function admin(method, path, body) {
  const res = await fetch(`${BASE}/admin/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Deletes every connection (and so every user): each scenario starts from an empty server. */
export async function resetServer() {
  const { body } = await admin("GET", "/connections");
  for (const c of body.connections) {
    const { status } = await admin("DELETE", `/connections/${c.id}`);
    assert.equal(status, 204, `deleting connection ${c.name}`);
  }
}

/** Creates a connection through the admin API; returns it with its `token`. */
export async function createConnection(name) {
  const { status, body } = await admin("POST", "/connections", { name });
  assert.equal(status, 201, `creating connection ${name}`);
  return body;
}

/** The connection named `name`, from the admin API, or undefined. */
export async function connectionNamed(name) {
  const { body } = await admin("GET", "/connections");
  return body.connections.find((c) => c.name === name);
}

/** The HTTP status of a SCIM request to a connection's base URL with `token`. */
export async function scimStatus(scimUrl, token, path = "/Users?count=1") {
  const res = await fetch(`${scimUrl}${path}`, { headers: { Authorization: `Bearer ${token}`, Accept: "application/scim+json" } });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Provisions users over SCIM, as an IdP does: `count` users named `${prefix}-001@…` on, with a
 * display name and an email; the users numbered in `inactive` are provisioned inactive.
 */
export async function provisionUsers(connection, prefix, count, { inactive = [] } = {}) {
  const numbers = Array.from({ length: count }, (_, i) => i + 1);
  const one = async (n) => {
    const id = String(n).padStart(3, "0");
    const res = await fetch(`${connection.scimUrl}/Users`, {
      method: "POST",
      headers: { Authorization: `Bearer ${connection.token}`, "Content-Type": "application/scim+json" },
      body: JSON.stringify({
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
        userName: `${prefix}-${id}@example.com`,
        displayName: `${prefix} user ${id}`,
        emails: [{ value: `${prefix}-${id}@example.com`, primary: true }],
        externalId: `ext-${prefix}-${id}`,
        active: !inactive.includes(n),
      }),
    });
    assert.equal(res.status, 201, `provisioning ${prefix}-${id}: ${await res.text()}`);
  };
  // A few at a time, as IdPs do.
  for (let i = 0; i < numbers.length; i += 8) await Promise.all(numbers.slice(i, i + 8).map(one));
}

// ---------------------------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------------------------

let browser = null;

/** Launches Debian's Chromium headless, once per test file. */
export async function launch() {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // As root in a closed network: no sandbox, and no background connections to the outside.
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync",
    ],
  });
  mkdirSync(SHOTS, { recursive: true });
  return browser;
}

export async function closeBrowser() {
  if (browser) await browser.close();
  browser = null;
}

/** A fresh tab (its own session storage, clipboard access) on the console. */
export async function openConsole(hash = "") {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US", timezoneId: "UTC" });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  page.scriptErrors = errors;
  await page.goto(`${BASE}/console/${hash}`);
  return page;
}

/** A fresh tab at phone width (375 × 740, touch). */
export async function openPhoneConsole(hash = "") {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, locale: "en-US", timezoneId: "UTC" });
  const page = await context.newPage();
  page.scriptErrors = [];
  page.on("pageerror", (err) => page.scriptErrors.push(String(err)));
  await page.goto(`${BASE}/console/${hash}`);
  return page;
}

/**
 * Runs axe-core on the page as it is now (WCAG 2.x A and AA rules and best practices); any
 * violation fails, listed with the elements it concerns.
 */
export async function axeCheck(page, view) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE_SOURCE);
  // A panel sliding in is semi-transparent for a moment: check the page as it settles.
  await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => null))));
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const violations = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 4).map((n) => n.target.join(" ")).join(" | ")}`);
  assert.deepEqual(violations, [], `axe found accessibility violations in ${view}`);
}

/** Provisions one user over SCIM with the given attributes; returns the SCIM resource. */
export async function provisionUser(connection, attributes) {
  const res = await fetch(`${connection.scimUrl}/Users`, {
    method: "POST",
    headers: { Authorization: `Bearer ${connection.token}`, "Content-Type": "application/scim+json" },
    body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], ...attributes }),
  });
  const text = await res.text();
  assert.equal(res.status, 201, `provisioning ${String(attributes.userName).slice(0, 40)}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Signs in with the admin token and waits for End Users. */
export async function signIn(page, token = ADMIN_TOKEN) {
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await see(page.getByRole("heading", { level: 1 }), "End Users");
}

/** A viewport screenshot into target/browser-screenshots/NAME.png. */
export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** Script errors (uncaught exceptions, console errors) the page had; none is expected. */
export function assertNoScriptErrors(page) {
  // An API error answer (401, 409, …) is logged by Chromium as a failed resource load: the
  // console handles those, they are not script errors.
  const real = page.scriptErrors.filter((e) => !/^Failed to load resource: the server responded with a status of/.test(e));
  assert.deepEqual(real, [], "the console logged errors");
}

// ---------------------------------------------------------------------------------------------
// Assertions that wait
// ---------------------------------------------------------------------------------------------

/** Retries `check` (which throws while the page is not there yet) until it passes or time runs out. */
export async function eventually(check, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const textOf = async (locator) => ((await locator.count()) === 0 ? "" : (await locator.first().innerText()).replace(/\s+/g, " ").trim());

/** Waits until `locator` is visible and its text contains `text` (a string or a RegExp). */
export async function see(locator, text) {
  await eventually(async () => {
    assert.ok((await locator.count()) > 0 && (await locator.first().isVisible()), `${locator} is not visible`);
    const actual = await textOf(locator);
    if (text instanceof RegExp) assert.match(actual, text, `${locator}`);
    else assert.ok(actual.includes(text), `${locator} shows “${actual}”, not “${text}”`);
  });
}

/** Waits until the visible page contains `text`. */
export async function seeOnPage(page, text) {
  await see(page.locator("body"), text);
}

/** Waits until the visible page no longer contains `text`. */
export async function seeNotOnPage(page, text) {
  await eventually(async () => {
    const actual = await textOf(page.locator("body"));
    assert.ok(!actual.includes(text), `the page still shows “${text}”`);
  });
}

/** Waits until `locator` is hidden (or gone). */
export async function hidden(locator) {
  await eventually(async () => assert.ok(!(await locator.first().isVisible()), `${locator} is still visible`));
}

/** Waits until the texts of all matches of `locator` equal `expected` (in any order if `sorted`). */
export async function seeTexts(locator, expected, { sorted = false } = {}) {
  await eventually(async () => {
    const actual = (await locator.allInnerTexts()).map((t) => t.replace(/\s+/g, " ").trim());
    if (sorted) actual.sort();
    assert.deepEqual(actual, expected);
  });
}

/** Waits until the URL's hash equals `hash`. */
export async function seeHash(page, hash) {
  await eventually(async () => assert.equal(new URL(page.url()).hash, hash));
}
