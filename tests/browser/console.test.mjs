// The admin console (/console/) in headless Chromium against a real idplex server: every
// feature the console has, asserted on what the user sees. Each scenario starts from an empty
// server, so any one runs alone (`--test-name-pattern`, see README.md).
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import {
  BASE, admin, assertNoScriptErrors, axeCheck, closeBrowser, connectionNamed, createConnection, eventually, hidden,
  launch, openConsole, openPhoneConsole, provisionUser, provisionUsers, resetServer, scimStatus, see, seeHash, seeNotOnPage,
  seeOnPage, seeTexts, shot, signIn,
} from "./lib.mjs";

before(launch);
after(closeBrowser);
beforeEach(resetServer);

/** The Connections panel. */
const panel = (page) => page.getByRole("dialog", { name: "Connections", exact: true });

/** The connection's row in the Connections panel. */
const row = (page, name) => page.getByTestId("connection-row").filter({ has: page.getByRole("heading", { name, exact: true }) });

test("sign-in: an empty or wrong token is refused with a message; the admin token signs in; sign out", async () => {
  const page = await openConsole();
  await see(page.getByRole("heading", { level: 1 }), "Sign in");
  assert.equal(await page.title(), "Sign in · idplex");

  await axeCheck(page, "sign-in");
  await page.getByRole("button", { name: "Sign in" }).click();
  await see(page.getByTestId("signin-error"), "Enter the admin token.");

  await page.getByLabel("Admin token").fill("idplex_admin_wrong-token");
  await page.getByRole("button", { name: "Sign in" }).click();
  await see(page.getByTestId("signin-error"), "That admin token was not accepted. Copy the whole token printed by idplex serve and try again.");
  // The command is set as code, not wrapped in literal backticks.
  assert.ok(!(await page.getByTestId("signin-error").innerText()).includes("`"), "no literal backticks in the message");
  await see(page.getByTestId("signin-error").locator("code"), "idplex serve");
  await axeCheck(page, "sign-in with an error");
  await hidden(page.getByTestId("users-view"));
  await shot(page, "signin-wrong-token");

  await signIn(page);
  assert.equal(await page.title(), "End Users · idplex");
  await see(page.getByRole("button", { name: "Sign out" }), "Sign out");

  // The session lasts as long as the tab: a reload stays signed in.
  await page.reload();
  await see(page.getByRole("heading", { level: 1 }), "End Users");

  await page.getByRole("button", { name: "Sign out" }).click();
  await see(page.getByTestId("signin-notice"), "You have signed out.");
  await see(page.getByRole("heading", { level: 1 }), "Sign in");
  await hidden(page.getByRole("button", { name: "Sign out" }));
  await page.reload();
  await see(page.getByRole("heading", { level: 1 }), "Sign in");
  assertNoScriptErrors(page);
});

test("sign-in: a stored token the server no longer accepts ends the session with a message", async () => {
  const page = await openConsole();
  // What a tab holds after the admin token was reset (`idplex admin-token reset`) elsewhere.
  await page.evaluate(() => sessionStorage.setItem("idplex.adminToken", "idplex_admin_replaced-token"));
  await page.reload();
  await see(page.getByTestId("signin-notice"), "Your session has ended: the admin token was not accepted.");
  await see(page.getByRole("heading", { level: 1 }), "Sign in");
});

test("first run: no connection yet shows the set-up flow, with Okta's and Entra's field names", async () => {
  const page = await openConsole();
  await signIn(page);
  const firstRun = page.getByTestId("first-run");
  await see(firstRun, "Set up your first connection");
  await see(firstRun, "A connection is how one identity provider");
  await hidden(page.locator("#users-toolbar"));
  await hidden(page.getByTestId("users-table"));
  await axeCheck(page, "first run");
  await shot(page, "first-run");

  // Microsoft Entra ID: "Tenant URL" and "Secret Token".
  await firstRun.getByLabel("Microsoft Entra ID").check();
  await firstRun.getByLabel("Connection name").fill("Acme Corp - Entra");
  await firstRun.getByRole("button", { name: "Create connection" }).click();
  const dialog = page.getByTestId("token-dialog");
  await see(dialog, "Connection created");
  await see(page.getByTestId("token-guide"), "In Microsoft Entra ID");
  await see(page.getByTestId("token-guide"), "Admin Credentials: Tenant URL is the URL above, Secret Token the token above.");
  const tenantUrl = await dialog.getByLabel("Tenant URL", { exact: true }).inputValue();
  const secretToken = await dialog.getByLabel("Secret Token", { exact: true }).inputValue();
  assert.equal(await scimStatus(tenantUrl, secretToken), 200, "what Entra is told to enter works");
  assert.equal(await dialog.getByLabel("Connection name", { exact: true }).inputValue(), "Acme Corp - Entra");
  await axeCheck(page, "first run: the new connection's credentials");
  await shot(page, "first-run-entra");
  await page.getByTestId("copy-token").click();
  await see(page.getByTestId("toast"), "Secret Token copied to the clipboard.");
  await page.getByRole("button", { name: "Save" }).click();
  await hidden(dialog);
  // Set up: End Users, waiting for the first sync.
  await hidden(firstRun);
  await see(page.getByTestId("users-empty"), "No users have synced yet");
  assert.equal((await connectionNamed("Acme Corp - Entra"))?.scimUrl, tenantUrl);

  // Okta: "SCIM connector base URL", "API Token", HTTP Header authentication.
  await resetServer();
  await page.reload();
  await see(firstRun, "Set up your first connection");
  await firstRun.getByLabel("Okta").check();
  await firstRun.getByRole("button", { name: "Create connection" }).click();
  await see(page.getByTestId("token-guide"), "In Okta");
  await see(page.getByTestId("token-guide"), "Authentication Mode: HTTP Header; paste the token above as the API Token");
  const baseUrl = await dialog.getByLabel("SCIM connector base URL", { exact: true }).inputValue();
  const apiToken = await dialog.getByLabel("API Token", { exact: true }).inputValue();
  assert.equal(await scimStatus(baseUrl, apiToken), 200, "what Okta is told to enter works");
  // An empty name: the server's default.
  assert.match(await dialog.getByLabel("Connection name", { exact: true }).inputValue(), /^Connection \d+$/);
  await shot(page, "first-run-okta");
  await page.getByRole("button", { name: "Save" }).click();
  await hidden(dialog);
  await see(page.getByTestId("users-empty"), "No users have synced yet");
  // Focus is not lost with the form that went away.
  await eventually(async () => assert.notEqual(await page.evaluate(() => document.activeElement?.tagName), "BODY"));
  assertNoScriptErrors(page);
});

test("empty states: no users yet, none from a connection, no match", async () => {
  const page = await openConsole();
  await signIn(page);
  await see(page.getByTestId("first-run"), "Set up your first connection");
  await page.getByTestId("first-run").getByRole("button", { name: "Create connection" }).click();
  await see(page.getByTestId("token-dialog"), "Connection created");
  await page.getByRole("button", { name: "Save" }).click();
  await hidden(page.getByTestId("token-dialog"));

  await see(page.getByTestId("users-empty"), "No users have synced yet");
  await see(page.getByTestId("users-empty"), "You have 1 connection");

  const [conn] = (await admin("GET", "/connections")).body.connections;
  await page.getByLabel("Connection", { exact: true }).selectOption({ label: conn.name });
  await see(page.getByTestId("users-empty"), `No users from ${conn.name} yet`);
  await page.getByRole("button", { name: "Show all connections" }).click();
  await see(page.getByTestId("users-empty"), "No users have synced yet");

  await page.getByLabel("Search").fill("nobody-at-all");
  await see(page.getByTestId("users-empty"), "No matching users");
  await see(page.getByTestId("users-empty"), "No user matches “nobody-at-all”");
  await shot(page, "empty-no-match");
  await page.getByRole("button", { name: "Clear search" }).click();
  await see(page.getByTestId("users-empty"), "No users have synced yet");
  assert.equal(await page.getByLabel("Search").inputValue(), "");
  assertNoScriptErrors(page);
});

test("add a connection: name pre-filled and editable, SCIM URL and token shown once with copy buttons", async () => {
  const page = await openConsole();
  await signIn(page);
  await page.getByRole("button", { name: "Connections", exact: true }).click();
  await see(page.getByTestId("connection-empty"), "No connections yet");

  await panel(page).getByRole("button", { name: "Add connection" }).click();
  const dialog = page.getByTestId("token-dialog");
  await see(dialog, "Connection created");
  await see(dialog, "This token is shown only once — copy it now.");
  // The default name, "Connection N", is pre-filled.
  const name = dialog.getByLabel("Connection name", { exact: true });
  assert.match(await name.inputValue(), /^Connection \d+$/);
  const scimUrl = await dialog.getByLabel("SCIM URL", { exact: true }).inputValue();
  const token = await dialog.getByLabel("SCIM token", { exact: true }).inputValue();
  assert.match(scimUrl, new RegExp(`^${BASE.replace(/[.]/g, "\\.")}/scim/v2/\\S+$`));
  assert.ok(token.length >= 20, `a token is shown: “${token}”`);
  // What the dialog shows is what an IdP needs: the URL with the token is accepted.
  assert.equal(await scimStatus(scimUrl, token), 200);
  await shot(page, "connection-created");

  // Both copy buttons copy (the clipboard is read back).
  await page.getByTestId("copy-scim-url").click();
  await see(page.getByTestId("toast"), "SCIM URL copied to the clipboard.");
  await see(page.getByTestId("copy-scim-url"), "Copied");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), scimUrl);
  await page.getByTestId("copy-token").click();
  await see(page.getByTestId("toast"), "SCIM token copied to the clipboard.");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);

  // The name is editable: an empty one is refused, a new one saved.
  await name.fill("  ");
  await page.getByRole("button", { name: "Save" }).click();
  await see(page.getByTestId("new-connection-name-error"), "Enter a name for the connection.");
  await name.fill("Acme Corp - Okta");
  await page.getByRole("button", { name: "Save" }).click();
  await hidden(dialog);
  await see(page.getByTestId("toast"), "Connection “Acme Corp - Okta” saved.");
  await see(row(page, "Acme Corp - Okta"), scimUrl);
  await see(page.getByTestId("panel-count"), "1 connection");
  assert.equal((await connectionNamed("Acme Corp - Okta"))?.scimUrl, scimUrl);
  // Shown once: the token is nowhere on the page any more.
  await seeNotOnPage(page, token);
  assert.equal(await dialog.getByLabel("SCIM token", { exact: true }).inputValue(), "");
  await shot(page, "connections-panel");

  // The row's own copy button copies the SCIM URL (never the token).
  await row(page, "Acme Corp - Okta").getByRole("button", { name: "Copy SCIM URL of Acme Corp - Okta" }).click();
  await see(page.getByTestId("toast"), "SCIM URL copied to the clipboard.");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), scimUrl);

  // Closing before copying the token warns once; a second Esc closes.
  await panel(page).getByRole("button", { name: "Add connection" }).click();
  await see(dialog, "Connection created");
  await page.keyboard.press("Escape");
  await see(page.getByTestId("token-close-note"), "The token has not been copied and can't be shown again.");
  await page.keyboard.press("Escape");
  await hidden(dialog);
  await see(page.getByTestId("panel-count"), "2 connections");
  assertNoScriptErrors(page);
});

test("rename a connection inline: saved, a taken or empty name refused, Esc cancels; End Users shows the new name", async () => {
  const acme = await createConnection("Acme - Okta");
  await createConnection("Globex - Entra");
  await provisionUsers(acme, "acme", 2);
  const page = await openConsole();
  await signIn(page);
  await see(page.getByTestId("users-tbody"), "Acme - Okta");

  await page.getByRole("button", { name: "Connections", exact: true }).click();
  await row(page, "Acme - Okta").getByRole("button", { name: "Rename Acme - Okta" }).click();
  const input = page.getByTestId("rename-input");
  assert.equal(await input.inputValue(), "Acme - Okta");

  await input.fill("Globex - Entra");
  await page.getByTestId("rename-save").click();
  await see(page.getByTestId("rename-error"), "Another connection is already named “Globex - Entra”. Choose a different name.");
  await input.fill("");
  await page.getByTestId("rename-save").click();
  await see(page.getByTestId("rename-error"), "Enter a name.");
  await shot(page, "rename-error");
  await input.press("Escape");
  await see(row(page, "Acme - Okta"), "Acme - Okta");
  assert.ok(await page.getByTestId("connections-panel").isVisible(), "Esc cancels the rename, not the panel");

  await row(page, "Acme - Okta").getByRole("button", { name: "Rename Acme - Okta" }).click();
  await input.fill("Acme Corp - Okta");
  await page.getByTestId("rename-save").click();
  await see(page.getByTestId("toast"), "Renamed to “Acme Corp - Okta”.");
  await seeTexts(page.getByTestId("connection-name"), ["Acme Corp - Okta", "Globex - Entra"]);
  assert.equal((await connectionNamed("Acme Corp - Okta"))?.id, acme.id);

  await page.getByRole("button", { name: "Close connections" }).click();
  await seeTexts(page.locator('[data-testid="user-row"] td[data-label="Connection"]'), ["Acme Corp - Okta", "Acme Corp - Okta"]);
  assert.deepEqual(await page.getByLabel("Connection", { exact: true }).locator("option").allInnerTexts(), ["All connections", "Acme Corp - Okta", "Globex - Entra"]);
  assertNoScriptErrors(page);
});

test("regenerate a token: confirmation, the new token shown once, the old one refused at once", async () => {
  const acme = await createConnection("Acme - Okta");
  assert.equal(await scimStatus(acme.scimUrl, acme.token), 200);
  const page = await openConsole();
  await signIn(page);
  await page.getByRole("button", { name: "Connections", exact: true }).click();

  // Cancel changes nothing.
  await row(page, "Acme - Okta").getByRole("button", { name: "Regenerate token of Acme - Okta" }).click();
  await see(page.getByTestId("regenerate-dialog"), "Regenerate token?");
  await see(page.getByTestId("regenerate-dialog"), "A new SCIM token is issued for Acme - Okta.");
  await see(page.getByTestId("regenerate-dialog"), "The current token stops working at once.");
  await shot(page, "regenerate-confirm");
  await page.getByRole("button", { name: "Cancel" }).click();
  await hidden(page.getByTestId("regenerate-dialog"));
  assert.equal(await scimStatus(acme.scimUrl, acme.token), 200, "cancel keeps the token");

  await row(page, "Acme - Okta").getByRole("button", { name: "Regenerate token of Acme - Okta" }).click();
  await page.getByRole("button", { name: "Regenerate token", exact: true }).click();
  const dialog = page.getByTestId("token-dialog");
  await see(dialog, "New token issued");
  await see(dialog, "The previous token no longer works.");
  await hidden(dialog.getByLabel("Connection name", { exact: true }));
  assert.equal(await dialog.getByLabel("SCIM URL", { exact: true }).inputValue(), acme.scimUrl);
  const token = await dialog.getByLabel("SCIM token", { exact: true }).inputValue();
  assert.ok(token.length >= 20 && token !== acme.token, "a new token is shown");
  await shot(page, "regenerated-token");

  assert.equal(await scimStatus(acme.scimUrl, acme.token), 401, "the old token stops working");
  assert.equal(await scimStatus(acme.scimUrl, token), 200, "the new token works");

  await page.getByRole("button", { name: "Done" }).click();
  await hidden(dialog);
  await seeNotOnPage(page, token);
  assertNoScriptErrors(page);
});

test("delete a connection: typed confirmation; its users leave End Users and its token stops working", async () => {
  const acme = await createConnection("Acme - Okta");
  const globex = await createConnection("Globex - Entra");
  const initech = await createConnection("Initech - Okta");
  await provisionUsers(acme, "acme", 3);
  await provisionUsers(globex, "globex", 2);
  await provisionUsers(initech, "initech", 1);
  const page = await openConsole();
  await signIn(page);
  await see(page.getByTestId("page-summary"), "1–6 of 6");

  // Deleted while End Users shows all connections: its user leaves the list.
  await page.getByRole("button", { name: "Connections", exact: true }).click();
  await row(page, "Initech - Okta").getByRole("button", { name: "Delete Initech - Okta" }).click();
  await page.getByLabel("Type Initech - Okta to confirm").fill("Initech - Okta");
  await page.getByRole("button", { name: "Delete connection" }).click();
  await see(page.getByTestId("toast"), "Deleted “Initech - Okta”.");
  await page.getByRole("button", { name: "Close connections" }).click();
  await see(page.getByTestId("page-summary"), "1–5 of 5");
  await seeNotOnPage(page, "initech-001");

  // Filtered on the connection about to go: the view falls back to all connections.
  await page.getByLabel("Connection", { exact: true }).selectOption({ label: "Acme - Okta" });
  await see(page.getByTestId("page-summary"), "1–3 of 3");

  await page.getByRole("button", { name: "Connections", exact: true }).click();
  await see(row(page, "Acme - Okta").getByTestId("connection-user-count"), "3");
  await row(page, "Acme - Okta").getByRole("button", { name: "Delete Acme - Okta" }).click();
  const dialog = page.getByTestId("delete-dialog");
  await see(dialog, "Delete connection?");
  await see(dialog, "Deleting Acme - Okta stops syncing from its identity provider at once");
  await see(dialog, "its 3 users leave the End Users list");
  const confirm = page.getByRole("button", { name: "Delete connection" });
  assert.ok(await confirm.isDisabled(), "Delete is disabled until the name is typed");
  await page.getByLabel("Type Acme - Okta to confirm").fill("Acme");
  assert.ok(await confirm.isDisabled(), "a partial name does not enable Delete");
  await shot(page, "delete-confirm");

  // Cancel keeps it.
  await page.getByRole("button", { name: "Cancel" }).click();
  await hidden(dialog);
  await seeTexts(page.getByTestId("connection-name"), ["Acme - Okta", "Globex - Entra"]);

  await row(page, "Acme - Okta").getByRole("button", { name: "Delete Acme - Okta" }).click();
  await page.getByLabel("Type Acme - Okta to confirm").fill("Acme - Okta");
  await eventually(async () => assert.ok(await confirm.isEnabled(), "the typed name enables Delete"));
  await confirm.click();
  await hidden(dialog);
  await see(page.getByTestId("toast"), "Deleted “Acme - Okta”.");
  await seeTexts(page.getByTestId("connection-name"), ["Globex - Entra"]);
  await see(page.getByTestId("panel-count"), "1 connection");
  assert.equal(await scimStatus(acme.scimUrl, acme.token), 401, "its token stops working");

  await page.getByRole("button", { name: "Close connections" }).click();
  await see(page.getByTestId("page-summary"), "1–2 of 2");
  await seeHash(page, "#users");
  assert.equal(await page.getByLabel("Connection", { exact: true }).inputValue(), "");
  await seeTexts(page.getByTestId("user-name"), ["globex-001@example.com", "globex-002@example.com"], { sorted: true });
  await seeNotOnPage(page, "acme-00");
  assert.deepEqual(await page.getByLabel("Connection", { exact: true }).locator("option").allInnerTexts(), ["All connections", "Globex - Entra"]);
  await shot(page, "after-delete");
  assertNoScriptErrors(page);
});

test("End Users: all connections' users with their connection; filter, search, paging, links and the back button", async () => {
  const acme = await createConnection("Acme - Okta");
  const globex = await createConnection("Globex - Entra");
  await provisionUsers(acme, "acme", 120, { inactive: [2] });
  await provisionUsers(globex, "globex", 5);
  const page = await openConsole();
  await signIn(page);

  // Three pages of 50: together every user of both connections, each once, with its connection.
  const names = page.getByTestId("user-name");
  const connectionCells = page.locator('[data-testid="user-row"] td[data-label="Connection"]');
  const seen = [];
  const readPage = async () => {
    const users = await names.allInnerTexts();
    const conns = await connectionCells.allInnerTexts();
    users.forEach((u, i) => assert.equal(conns[i], u.startsWith("acme-") ? "Acme - Okta" : "Globex - Entra", `${u}'s connection`));
    seen.push(...users);
    return users;
  };
  await see(page.getByTestId("page-summary"), "1–50 of 125");
  assert.equal((await readPage()).length, 50);
  assert.ok(await page.getByRole("button", { name: "Previous" }).isDisabled(), "Previous is disabled on the first page");
  await shot(page, "end-users-page-1");

  await page.getByRole("button", { name: "Next" }).click();
  await see(page.getByTestId("page-summary"), "51–100 of 125");
  await seeHash(page, "#users?page=2");
  assert.equal((await readPage()).length, 50);
  await page.getByRole("button", { name: "Next" }).click();
  await see(page.getByTestId("page-summary"), "101–125 of 125");
  assert.equal((await readPage()).length, 25);
  await eventually(async () => assert.ok(await page.getByRole("button", { name: "Next" }).isDisabled(), "Next is disabled on the last page"));
  await shot(page, "end-users-last-page");
  const all = [
    ...Array.from({ length: 120 }, (_, i) => `acme-${String(i + 1).padStart(3, "0")}@example.com`),
    ...Array.from({ length: 5 }, (_, i) => `globex-${String(i + 1).padStart(3, "0")}@example.com`),
  ];
  assert.deepEqual([...seen].sort(), all, "the pages hold every user once");

  // The back button walks the pages back.
  await page.goBack();
  await see(page.getByTestId("page-summary"), "51–100 of 125");
  await page.getByRole("button", { name: "Previous" }).click();
  await see(page.getByTestId("page-summary"), "1–50 of 125");
  await seeHash(page, "#users");

  // Filter by connection.
  await page.getByLabel("Connection", { exact: true }).selectOption({ label: "Globex - Entra" });
  await see(page.getByTestId("page-summary"), "1–5 of 5");
  await seeHash(page, `#users?connection=${globex.id}`);
  await seeTexts(page.locator('[data-testid="user-row"] td[data-label="Connection"]'), Array(5).fill("Globex - Entra"));
  await shot(page, "end-users-filtered");
  await page.getByLabel("Connection", { exact: true }).selectOption({ label: "All connections" });
  await see(page.getByTestId("page-summary"), "1–50 of 125");

  // Search: user name, display name, email or external ID, case-insensitive, across connections.
  await page.getByLabel("Search").fill("ACME-002");
  await seeTexts(page.getByTestId("user-name"), ["acme-002@example.com"]);
  await see(page.getByTestId("page-summary"), "1–1 of 1");
  await seeHash(page, "#users?search=ACME-002");
  // Every column of a user.
  const user = page.getByTestId("user-row");
  await see(user.locator('td[data-label="Display name"]'), "acme user 002");
  await see(user.locator('td[data-label="Email"]'), "acme-002@example.com");
  await see(user.locator('td[data-label="Connection"]'), "Acme - Okta");
  await see(user.locator('td[data-label="Status"]'), "Inactive");
  await see(user.locator('td[data-label="Last modified"]'), new RegExp(String(new Date().getUTCFullYear())));
  await page.getByLabel("Search").fill("acme-003");
  await see(user.locator('td[data-label="Status"]'), "Active");
  await page.getByLabel("Search").fill("ext-globex");
  await see(page.getByTestId("page-summary"), "1–5 of 5");
  await page.getByLabel("Search").fill("user 11");
  await seeTexts(page.getByTestId("user-name"), Array.from({ length: 10 }, (_, i) => `acme-11${i}@example.com`), { sorted: true });
  await shot(page, "end-users-search");
  // Search within one connection.
  await page.getByLabel("Connection", { exact: true }).selectOption({ label: "Globex - Entra" });
  await see(page.getByTestId("users-empty"), "No user from Globex - Entra matches “user 11”");
  await page.getByRole("button", { name: "Clear search" }).click();
  await see(page.getByTestId("page-summary"), "1–5 of 5");

  // A row's connection is a link to that connection's users.
  await page.getByLabel("Connection", { exact: true }).selectOption({ label: "All connections" });
  await see(page.getByTestId("page-summary"), "1–50 of 125");
  await page.getByTestId("user-row").first().getByRole("link", { name: "Acme - Okta" }).click();
  await see(page.getByTestId("page-summary"), "1–50 of 120");
  assert.equal(await page.getByLabel("Connection", { exact: true }).inputValue(), acme.id);
  await page.goBack();
  await see(page.getByTestId("page-summary"), "1–50 of 125");
  assert.equal(await page.getByLabel("Connection", { exact: true }).inputValue(), "");

  // A link to a view (bookmark) opens on that view, after sign-in too.
  const deep = await openConsole(`#users?connection=${acme.id}&page=3`);
  await signIn(deep);
  await see(deep.getByTestId("page-summary"), "101–120 of 120");
  assert.equal(await deep.getByLabel("Connection", { exact: true }).inputValue(), acme.id);
  // Past the last page: the last page is shown.
  await deep.goto(`${BASE}/console/#users?page=9`);
  await see(deep.getByTestId("page-summary"), "101–125 of 125");
  await seeHash(deep, "#users?page=3");
  // A link to a connection that no longer exists falls back to all connections, saying so.
  await deep.goto(`${BASE}/console/#users?connection=c_gone`);
  await see(deep.getByTestId("toast"), "That connection no longer exists. Showing users from all connections.");
  await see(deep.getByTestId("page-summary"), "1–50 of 125");
  assertNoScriptErrors(page);
});

/** Layout facts of the End Users table: no horizontal overflow anywhere, the tallest row. */
async function tableLayout(page) {
  return page.evaluate(() => {
    const scroll = document.querySelector(".table-scroll");
    const rows = [...document.querySelectorAll('[data-testid="user-row"]')];
    return {
      pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      tableOverflow: scroll.scrollWidth - scroll.clientWidth,
      tallestRow: Math.max(...rows.map((r) => r.getBoundingClientRect().height)),
    };
  });
}

test("long values: truncated with an ellipsis and a tooltip, whole in the user drawer; the SCIM URL never splits its id", async () => {
  const acme = await createConnection("Acme - Okta");
  await provisionUsers(acme, "acme", 2);
  // The longest values SCIM accepts: 1,024 characters (a 1 MB one is refused with 400 now).
  const longName = `${"a".repeat(1000)}@example.com`.padEnd(1024, "z");
  const longDisplay = "Very long display name ".repeat(50).slice(0, 1024);
  await provisionUser(acme, { userName: longName, displayName: longDisplay, emails: [{ value: `${"b".repeat(200)}@example.com`, primary: true }], active: true });

  for (const [label, open] of [["laptop", () => openConsole()], ["phone", () => openPhoneConsole()]]) {
    const page = await open();
    await signIn(page);
    await see(page.getByTestId("page-summary"), "1–3 of 3");
    const cell = page.getByTestId("user-name").filter({ hasText: "aaaa" });
    const layout = await tableLayout(page);
    console.log(`# ${label}: page overflow ${layout.pageOverflow} px, table overflow ${layout.tableOverflow} px, tallest row ${layout.tallestRow} px`);
    assert.ok(layout.pageOverflow <= 0, `${label}: the page does not scroll sideways (${layout.pageOverflow} px)`);
    assert.ok(layout.tableOverflow <= 0, `${label}: the table fits its card (${layout.tableOverflow} px)`);
    assert.ok(layout.tallestRow < (label === "phone" ? 360 : 120), `${label}: a row stays short (${layout.tallestRow} px)`);
    // The cell holds a clipped value, the tooltip more, the drawer all of it.
    const shown = await cell.innerText();
    assert.ok(shown.length <= 201 && shown.endsWith("…") && longName.startsWith(shown.slice(0, -1)), `${label}: clipped (${shown.length} characters)`);
    const tooltip = await cell.getAttribute("title");
    assert.ok(longName.startsWith(tooltip.slice(0, -1)) && tooltip.length <= 1001, "the tooltip holds the start of the value");
    assert.equal(await cell.evaluate((n) => getComputedStyle(n).textOverflow === "ellipsis" || getComputedStyle(n).webkitLineClamp !== "none"), true);
    await shot(page, `end-users-long-values-${label}`);
    await axeCheck(page, `End Users (${label})`);

    // The drawer, by keyboard: Enter opens it, focus moves in, Tab stays in, Escape closes and returns focus.
    await cell.focus();
    await page.keyboard.press("Enter");
    const drawer = page.getByRole("dialog", { name: "User details" });
    await see(drawer, "Acme - Okta");
    assert.equal(await page.getByTestId("user-drawer-username").innerText(), longName, "the drawer shows the whole user name");
    await eventually(async () => assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "user-drawer-close"));
    assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), "none", "focus is visible");
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press("Tab");
      assert.ok(await page.evaluate(() => !!document.activeElement?.closest("#user-drawer") || document.activeElement === document.body), "Tab stays in the drawer");
    }
    const drawerOverflow = await page.evaluate(() => {
      const body = document.getElementById("user-drawer-body");
      return body.scrollWidth - body.clientWidth;
    });
    assert.ok(drawerOverflow <= 0, `the drawer wraps long values (${drawerOverflow} px)`);
    await axeCheck(page, `user drawer (${label})`);
    await shot(page, `user-drawer-${label}`);
    await page.keyboard.press("Escape");
    await hidden(drawer);
    await eventually(async () => assert.equal(await page.evaluate(() => document.activeElement?.title?.slice(0, 10)), "a".repeat(10), "focus returns to the user"));

    // The SCIM URL: a line break only after a "/", never inside the connection id.
    await page.getByRole("button", { name: "Connections", exact: true }).click();
    await see(row(page, "Acme - Okta"), "Acme - Okta");
    const url = row(page, "Acme - Okta").getByTestId("connection-scim-url");
    assert.equal(await url.innerText().then((t) => t.replace(/\s+/g, "")), acme.scimUrl);
    const idLines = await url.locator(".url-tail").evaluate((n) => n.getClientRects().length);
    assert.equal(idLines, 1, `${label}: the connection id is on one line`);
    assert.equal(await url.locator(".url-tail").innerText(), acme.id);
    await axeCheck(page, `Connections panel (${label})`);
    await shot(page, `connections-panel-${label}`);
    await page.keyboard.press("Escape");
    await hidden(panel(page));
    assertNoScriptErrors(page);
  }
});

test("accessibility: each view and dialog is axe-clean; dialogs trap focus, close on Escape and return focus", async () => {
  const acme = await createConnection("Acme - Okta");
  await provisionUsers(acme, "acme", 3);
  const page = await openConsole();
  await signIn(page);
  await see(page.getByTestId("page-summary"), "1–3 of 3");
  await axeCheck(page, "End Users");

  // Keyboard only: the Connections button, Enter, Escape.
  const open = page.getByRole("button", { name: "Connections", exact: true });
  await open.focus();
  await page.keyboard.press("Enter");
  await see(panel(page), "Acme - Okta");
  await axeCheck(page, "Connections panel");
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    assert.ok(await page.evaluate(() => !!document.activeElement?.closest("#connections-panel") || document.activeElement === document.body), "Tab stays in the panel");
  }
  await row(page, "Acme - Okta").getByRole("button", { name: "Regenerate token of Acme - Okta" }).click();
  await see(page.getByTestId("regenerate-dialog"), "Regenerate token?");
  await axeCheck(page, "regenerate dialog");
  await page.keyboard.press("Escape");
  await hidden(page.getByTestId("regenerate-dialog"));
  await eventually(async () => assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "Regenerate token of Acme - Okta"));

  await row(page, "Acme - Okta").getByRole("button", { name: "Delete Acme - Okta" }).click();
  await see(page.getByTestId("delete-dialog"), "Removed with it: 3 users, 0 groups and its SCIM token.");
  await axeCheck(page, "delete dialog");
  await page.keyboard.press("Escape");
  await hidden(page.getByTestId("delete-dialog"));
  await eventually(async () => assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "Delete Acme - Okta"));

  await panel(page).getByRole("button", { name: "Add connection" }).click();
  await see(page.getByTestId("token-dialog"), "Connection created");
  await axeCheck(page, "new connection dialog");
  await page.getByRole("button", { name: "Save" }).click();
  await hidden(page.getByTestId("token-dialog"));
  await page.keyboard.press("Escape");
  await hidden(panel(page));
  await eventually(async () => assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "open-connections"));

  await page.getByRole("button", { name: "Several…" }).click();
  await see(page.getByTestId("choose-dialog"), "Show users from");
  await axeCheck(page, "connection chooser");
  await page.keyboard.press("Escape");
  await hidden(page.getByTestId("choose-dialog"));

  await page.getByRole("button", { name: "Schemas" }).click();
  await see(page.getByTestId("schemas-panel"), "Custom schemas");
  await axeCheck(page, "custom schemas panel");
  await page.keyboard.press("Escape");
  await hidden(page.getByTestId("schemas-panel"));

  // The sort headers say how the table is sorted.
  const header = page.getByRole("columnheader", { name: "User name" });
  assert.equal(await header.getAttribute("aria-sort"), "ascending");
  await page.getByRole("button", { name: "Display name" }).click();
  await seeHash(page, "#users?sort=name&order=ascending");
  await eventually(async () => assert.equal(await page.getByRole("columnheader", { name: "Display name" }).getAttribute("aria-sort"), "ascending"));
  assert.equal(await header.getAttribute("aria-sort"), null);
  await page.getByRole("button", { name: "Display name" }).click();
  await seeHash(page, "#users?sort=name&order=descending");
  await axeCheck(page, "End Users, sorted");
  assertNoScriptErrors(page);
});

test("regenerate with a grace period: the previous token keeps working until it expires; regenerating again without grace ends it", async () => {
  const acme = await createConnection("Acme - Okta");
  const page = await openConsole();
  await signIn(page);
  await page.getByRole("button", { name: "Connections", exact: true }).click();
  await row(page, "Acme - Okta").getByRole("button", { name: "Regenerate token of Acme - Okta" }).click();
  const confirm = page.getByTestId("regenerate-dialog");
  await page.getByLabel("Keeps working for 1 hour").check();
  await see(page.getByTestId("regenerate-effect"), "The current token keeps working for 1 hour");
  await axeCheck(page, "regenerate dialog with grace");
  await page.getByRole("button", { name: "Regenerate token", exact: true }).click();
  await hidden(confirm);
  const dialog = page.getByTestId("token-dialog");
  await see(dialog, "New token issued");
  await see(dialog, "The previous token keeps working until");
  const graceToken = await dialog.getByLabel("SCIM token", { exact: true }).inputValue();
  assert.equal(await scimStatus(acme.scimUrl, graceToken), 200, "the new token works");
  assert.equal(await scimStatus(acme.scimUrl, acme.token), 200, "the previous token still works during its grace period");
  await page.getByRole("button", { name: "Done" }).click();
  await hidden(dialog);
  const { body } = await admin("GET", `/connections/${acme.id}`);
  assert.ok(body.previousTokenExpires, "the API says when the previous token expires");
  const expires = Date.parse(body.previousTokenExpires) - Date.now();
  assert.ok(expires > 3_000_000 && expires <= 3_600_000, `expires in about an hour (${expires} ms)`);
  await see(row(page, "Acme - Okta").getByTestId("connection-previous-token"), String(new Date().getUTCFullYear()));
  await see(row(page, "Acme - Okta").getByTestId("connection-token-hint"), graceToken.slice(0, 10));
  await seeNotOnPage(page, graceToken);

  // Regenerated again, without grace: both earlier tokens stop at once.
  await row(page, "Acme - Okta").getByRole("button", { name: "Regenerate token of Acme - Okta" }).click();
  assert.ok(await page.getByLabel("Stops working at once").isChecked(), "no grace is the default");
  await see(page.getByTestId("regenerate-effect"), "The current token stops working at once.");
  await page.getByRole("button", { name: "Regenerate token", exact: true }).click();
  await see(dialog, "The previous token no longer works.");
  const token = await dialog.getByLabel("SCIM token", { exact: true }).inputValue();
  assert.equal(await scimStatus(acme.scimUrl, token), 200, "the newest token works");
  assert.equal(await scimStatus(acme.scimUrl, graceToken), 401, "the token it replaced stops at once");
  assert.equal(await scimStatus(acme.scimUrl, acme.token), 401, "the token in grace stops too");
  await page.getByRole("button", { name: "Done" }).click();
  await hidden(row(page, "Acme - Okta").getByTestId("connection-previous-token"));
  assertNoScriptErrors(page);
});

test("disable and enable a connection: confirmation; its IdP gets 403 while its users stay listed", async () => {
  const acme = await createConnection("Acme - Okta");
  const globex = await createConnection("Globex - Entra");
  await provisionUsers(acme, "acme", 2);
  await provisionUsers(globex, "globex", 1);
  const page = await openConsole();
  await signIn(page);
  await see(page.getByTestId("page-summary"), "1–3 of 3");
  await page.getByRole("button", { name: "Connections", exact: true }).click();
  await row(page, "Acme - Okta").getByRole("button", { name: "Disable Acme - Okta" }).click();
  const dialog = page.getByTestId("toggle-dialog");
  await see(dialog, "Disable connection?");
  await see(dialog, "SCIM requests from the identity provider behind Acme - Okta are refused (403) until you enable it again. Its 2 users and 0 groups stay");
  await axeCheck(page, "disable dialog");
  await page.getByRole("button", { name: "Cancel" }).click();
  await hidden(dialog);
  assert.equal(await scimStatus(acme.scimUrl, acme.token), 200, "Cancel keeps it enabled");

  await row(page, "Acme - Okta").getByRole("button", { name: "Disable Acme - Okta" }).click();
  await page.getByRole("button", { name: "Disable connection" }).click();
  await see(page.getByTestId("toast"), "Disabled “Acme - Okta”.");
  await see(row(page, "Acme - Okta").getByTestId("connection-disabled"), "Disabled");
  const res = await fetch(`${acme.scimUrl}/Users`, { headers: { Authorization: `Bearer ${acme.token}` } });
  assert.equal(res.status, 403, "a disabled connection answers its IdP 403");
  assert.match((await res.json()).detail, /disabled/);
  assert.equal(await scimStatus(globex.scimUrl, globex.token), 200, "other connections are unaffected");
  await axeCheck(page, "Connections panel with a disabled connection");
  await shot(page, "connection-disabled");

  await page.getByRole("button", { name: "Close connections" }).click();
  await see(page.getByTestId("page-summary"), "1–3 of 3");
  await seeTexts(page.getByTestId("user-name"), ["acme-001@example.com", "acme-002@example.com", "globex-001@example.com"], { sorted: true });
  await axeCheck(page, "End Users with users of a disabled connection");

  await page.getByRole("button", { name: "Connections", exact: true }).click();
  await row(page, "Acme - Okta").getByRole("button", { name: "Enable Acme - Okta" }).click();
  await page.getByRole("button", { name: "Enable connection" }).click();
  await see(page.getByTestId("toast"), "Enabled “Acme - Okta”.");
  await hidden(row(page, "Acme - Okta").getByTestId("connection-disabled"));
  assert.equal(await scimStatus(acme.scimUrl, acme.token), 200, "enabled again");
  assertNoScriptErrors(page);
});

test("health and activity: counts, last success, last failure and requests in 24 h; the activity feed, newest first", async () => {
  const acme = await createConnection("Acme - Okta");
  await provisionUsers(acme, "acme", 3, { inactive: [3] });
  // A request the connection's IdP gets wrong: a user without userName.
  const bad = await fetch(`${acme.scimUrl}/Users`, {
    method: "POST",
    headers: { Authorization: `Bearer ${acme.token}`, "Content-Type": "application/scim+json" },
    body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"] }),
  });
  assert.equal(bad.status, 400);
  const page = await openConsole();
  await signIn(page);
  await page.getByRole("button", { name: "Connections", exact: true }).click();
  const health = row(page, "Acme - Okta").getByTestId("connection-health");
  await see(health.getByTestId("health-active"), "2");
  await see(health.getByTestId("health-inactive"), "1");
  await see(health.getByTestId("health-last-success"), String(new Date().getUTCFullYear()));
  await see(health.getByTestId("health-last-failure"), "400");
  // The figure the API reports (concurrent first requests of an hour may undercount it: the
  // server's health writes are blind), at least the failed request.
  const { body } = await admin("GET", `/connections/${acme.id}`);
  const requests = Number((await health.getByTestId("health-requests").innerText()).replace(/\D/g, ""));
  assert.equal(requests, body.health.requests24h, "the console shows the API's requests in 24 h");
  assert.ok(requests >= 1, `requests in 24 h: ${requests}`);

  await row(page, "Acme - Okta").getByRole("button", { name: "Activity of Acme - Okta" }).click();
  const events = row(page, "Acme - Okta").getByTestId("activity-event");
  await see(events.first(), "created user");
  await see(events.last(), "Admin created the connection");
  await axeCheck(page, "a connection's health and activity");
  await shot(page, "connection-health-activity");
  assertNoScriptErrors(page);
});


test("End Users: sort by column, active filter, several connections, duplicates, and a user's details", async () => {
  const acme = await createConnection("Acme - Okta");
  const globex = await createConnection("Globex - Entra");
  const initech = await createConnection("Initech - Okta");
  await provisionUsers(acme, "acme", 3, { inactive: [2] });
  await provisionUsers(globex, "globex", 2);
  await provisionUsers(initech, "initech", 1);
  // The same person in two client organisations.
  await provisionUser(globex, { userName: "ACME-001@example.com", displayName: "Same person", emails: [{ value: "Acme-001@Example.com", primary: true }], active: true });
  const page = await openConsole();
  await signIn(page);
  await see(page.getByTestId("page-summary"), "1–7 of 7");
  const names = page.getByTestId("user-name");
  await seeTexts(names, ["acme-001@example.com", "ACME-001@example.com", "acme-002@example.com", "acme-003@example.com", "globex-001@example.com", "globex-002@example.com", "initech-001@example.com"].sort(), { sorted: true });
  // Sorted by user name by default (the first two differ only in case).
  await see(names.nth(2), "acme-002@example.com");
  await see(names.last(), "initech-001@example.com");

  // Sort by a column header; again for descending.
  await page.getByRole("button", { name: "User name" }).click();
  await seeHash(page, "#users?sort=userName&order=descending");
  await see(names.first(), "initech-001@example.com");
  assert.equal(await page.getByRole("columnheader", { name: "User name" }).getAttribute("aria-sort"), "descending");
  await page.getByRole("button", { name: "Connection", exact: true }).click();
  await see(page.locator('[data-testid="user-row"] td[data-label="Connection"]').first(), "Acme - Okta");

  // Active filter.
  await page.getByLabel("Status").selectOption({ label: "Inactive only" });
  await seeTexts(names, ["acme-002@example.com"]);
  await page.getByLabel("Status").selectOption({ label: "Active only" });
  await see(page.getByTestId("page-summary"), "1–6 of 6");
  await page.getByLabel("Status").selectOption({ label: "Active and inactive" });

  // Several connections.
  await page.getByRole("button", { name: "Several…" }).click();
  await page.getByTestId("choose-dialog").getByLabel("Globex - Entra").check();
  await page.getByTestId("choose-dialog").getByLabel("Initech - Okta").check();
  await page.getByRole("button", { name: "Show users" }).click();
  await see(page.getByTestId("page-summary"), "1–4 of 4");
  await seeHash(page, `#users?connection=${globex.id},${initech.id}&sort=connection&order=ascending`);
  await seeTexts(page.locator('[data-testid="user-row"] td[data-label="Connection"]'), ["Globex - Entra", "Globex - Entra", "Globex - Entra", "Initech - Okta"]);
  assert.equal(await page.getByLabel("Connection", { exact: true }).locator("option:checked").innerText(), "2 connections");

  // Duplicates.
  await page.getByLabel("Connection", { exact: true }).selectOption({ label: "All connections" });
  await page.getByLabel("Only duplicates").check();
  await seeTexts(names, ["ACME-001@example.com", "acme-001@example.com"], { sorted: true });
  await seeTexts(page.getByTestId("user-duplicate"), ["Duplicate", "Duplicate"]);
  await axeCheck(page, "End Users, duplicates");

  // A user's details: every attribute, the groups, the connection.
  await page.getByRole("button", { name: "ACME-001@example.com", exact: true }).click();
  const drawer = page.getByRole("dialog", { name: "User details" });
  await see(drawer.getByTestId("user-drawer-connection"), "Globex - Entra");
  await see(drawer.getByTestId("user-attributes"), "Same person");
  await see(drawer.getByTestId("user-attributes"), "urn:ietf:params:scim:schemas:core:2.0:User");
  await see(drawer.getByTestId("user-groups"), "Not a member of any group.");
  await axeCheck(page, "user drawer");
  await page.keyboard.press("Escape");
  await hidden(drawer);
  assertNoScriptErrors(page);
});
