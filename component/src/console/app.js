// idplex admin console.
//
// Plain ES2020, no framework, no build step. Served under a strict CSP (`script-src 'self'`,
// `style-src 'self'`): no inline scripts or styles, and every piece of data from the API is put
// into the page with textContent / attributes, never parsed as HTML.
"use strict";

(() => {
  const TOKEN_KEY = "idplex.adminToken";
  const API = "/admin/api/v1";
  const PAGE_SIZE = 50;
  const SEARCH_DEBOUNCE_MS = 250;
  const COPIED_MS = 2000;
  const TOAST_MS = 3500;

  // ---------------------------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------------------------

  const $ = (id) => {
    const node = document.getElementById(id);
    if (!node) throw new Error(`idplex console: missing element #${id}`);
    return node;
  };

  /**
   * Builds an element. `props`: className, text, testid, dataset (object), on (object of
   * listeners), and anything else as an attribute (true → present, false/null → absent).
   * Children: nodes or strings (strings become text nodes).
   */
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "className") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "testid") node.setAttribute("data-testid", value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const fmtNumber = (n) => (typeof n === "number" && Number.isFinite(n) ? n.toLocaleString() : "—");

  function fmtDate(iso) {
    const d = new Date(iso);
    if (!iso || Number.isNaN(d.getTime())) return "—";
    return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  /** A <time> element showing a localised date, with the exact UTC instant as tooltip. */
  function timeEl(iso) {
    const d = new Date(iso);
    if (!iso || Number.isNaN(d.getTime())) return h("span", { className: "muted" }, "—");
    return h("time", { datetime: iso, title: d.toISOString() }, fmtDate(iso));
  }

  /**
   * Text with line-break opportunities after "@" and before the dots of the part before it
   * (user names, emails), so "first.last@example.com" wraps as "first.last@ / example.com".
   */
  function breakable(text) {
    const str = String(text);
    const at = str.lastIndexOf("@");
    const local = at < 0 ? str : str.slice(0, at + 1); // keeps the "@"
    const parts = local.split(/(?=\.)/).filter((p) => p !== "");
    if (at >= 0 && at < str.length - 1) parts.push(str.slice(at + 1));
    const frag = document.createDocumentFragment();
    parts.forEach((part, i) => {
      if (i > 0) frag.append(document.createElement("wbr"));
      frag.append(document.createTextNode(part));
    });
    return frag;
  }

  const plural = (n, one, many) => `${fmtNumber(n)} ${n === 1 ? one : many}`;

  /** "—" for a missing value, with words for screen readers. */
  const missing = () =>
    h("span", { className: "muted" }, h("span", { "aria-hidden": "true" }, "—"), h("span", { className: "sr-only" }, "not set"));

  function setBusy(button, busy, busyText) {
    if (busy) {
      if (!button.dataset.idleText) button.dataset.idleText = button.textContent.trim();
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      if (busyText) setButtonLabel(button, busyText);
    } else {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      if (button.dataset.idleText) setButtonLabel(button, button.dataset.idleText);
      delete button.dataset.idleText;
    }
  }

  /** Replaces a button's text while keeping its icon, if any. */
  function setButtonLabel(button, text) {
    const icon = button.querySelector("svg");
    button.replaceChildren(...(icon ? [icon, " "] : []), text);
  }

  // ---------------------------------------------------------------------------------------------
  // API client
  // ---------------------------------------------------------------------------------------------

  /** Server messages are lower-case fragments ("name must not be empty"): show them as sentences. */
  function sentence(text) {
    const t = String(text).trim();
    if (!t) return t;
    const s = t.charAt(0).toUpperCase() + t.slice(1);
    return /[.!?…]$/.test(s) ? s : `${s}.`;
  }

  /** The message for a failed rename: friendlier wording for a taken name. */
  function renameErrorMessage(err, name) {
    if (err instanceof ApiError && err.code === "name_taken") {
      return `Another connection is already named “${name}”. Choose a different name.`;
    }
    return err.message;
  }

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.name = "ApiError";
      this.status = status;
      this.code = code;
    }
  }

  /** True for errors already dealt with globally (sign-out on 401) or deliberately aborted. */
  const isHandled = (err) => (err && err.name === "AbortError") || (err instanceof ApiError && err.status === 401);

  async function api(method, path, { body, signal, token, redirectOn401 = true } = {}) {
    const headers = { Accept: "application/json", Authorization: `Bearer ${token || state.token || ""}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res;
    try {
      res = await fetch(API + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        cache: "no-store",
        credentials: "same-origin",
        redirect: "error",
      });
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw new ApiError(0, "network", "Can't reach the idplex server. Check that it is running and try again.");
    }
    if (res.status === 204) return null;
    let data = null;
    const text = await res.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      const e = (data && data.error) || {};
      const err = new ApiError(
        res.status,
        typeof e.code === "string" ? e.code : `http_${res.status}`,
        typeof e.message === "string" && e.message ? sentence(e.message) : sentence(`The server answered ${res.status} ${res.statusText}`),
      );
      if (res.status === 401 && redirectOn401) sessionExpired();
      throw err;
    }
    if (data === null) throw new ApiError(res.status, "bad_response", "The server sent a response the console doesn't understand.");
    return data;
  }

  const enc = encodeURIComponent;

  // ---------------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------------

  const state = {
    token: null,
    /** @type {Array<object>} oldest first, as the API lists them */
    connections: [],
    connectionsLoaded: false,
    connectionsAbort: null,
    /** The End Users view, mirrored in the URL hash. */
    view: { connection: "", search: "", page: 1 },
    usersAbort: null,
    /** Last users response, for rendering the empty state once connections are known too. */
    users: null,
    usersError: null,
    searchTimer: 0,
    /** Connection whose credentials the token dialog shows, and what it shows them for. */
    tokenDialog: { connection: null, mode: "created", copied: false, warned: false },
    regenerateTarget: null,
    deleteTarget: null,
    highlightId: null,
    scrollToTable: false,
    /** The custom schemas panel: "" for tenant-wide, else a connection id. */
    schemas: { scope: "", abort: null },
  };

  // ---------------------------------------------------------------------------------------------
  // Elements
  // ---------------------------------------------------------------------------------------------

  const ui = {};
  function grabElements() {
    for (const id of [
      "sign-out", "signin-view", "signin-notice", "signin-form", "signin-token", "signin-error", "signin-submit",
      "users-view", "open-connections", "users-toolbar", "connection-filter", "user-search", "users-alert",
      "users-alert-text", "users-retry", "users-loading", "users-table", "users-tbody", "users-empty",
      "pagination", "page-summary", "page-prev", "page-next",
      "connections-panel", "panel-close", "add-connection", "panel-count", "panel-alert", "panel-loading",
      "connection-list", "connection-empty",
      "token-dialog", "token-form", "token-title", "token-intro", "token-scim-url", "token-value",
      "token-name-field", "token-name", "token-name-error", "token-close-note", "token-save",
      "regenerate-dialog", "regenerate-form", "regenerate-name", "regenerate-error", "regenerate-cancel", "regenerate-confirm",
      "delete-dialog", "delete-form", "delete-name", "delete-users", "delete-confirm-label", "delete-confirm-input",
      "delete-error", "delete-cancel", "delete-confirm", "toast",
      "open-schemas", "schemas-panel", "schemas-close", "schemas-scope", "schemas-alert", "schemas-loading",
      "schema-list", "schema-empty", "schema-form", "schema-definition", "schema-error", "schema-add",
    ]) {
      ui[id.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = $(id);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Toast and copy
  // ---------------------------------------------------------------------------------------------

  let toastTimer = 0;
  function toast(message, { error = false } = {}) {
    const t = ui.toast;
    clearTimeout(toastTimer);
    t.classList.toggle("toast-error", error);
    t.textContent = "";
    if (typeof t.showPopover === "function") {
      // Re-open so the toast sits above whichever dialog is open now (top layer order).
      if (t.matches(":popover-open")) t.hidePopover();
      t.showPopover();
    }
    // Set the text after showing, so screen readers announce it.
    requestAnimationFrame(() => { t.textContent = message; });
    toastTimer = setTimeout(() => {
      t.textContent = "";
      if (typeof t.hidePopover === "function" && t.matches(":popover-open")) t.hidePopover();
    }, TOAST_MS);
  }

  function selectContents(node) {
    if (node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement) {
      node.focus();
      node.select();
      node.setSelectionRange(0, node.value.length);
      return;
    }
    const range = document.createRange();
    range.selectNodeContents(node);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  /**
   * Copies `text` to the clipboard. Falls back to selecting `node` and execCommand("copy"),
   * and if even that fails leaves the text selected so the user can press Ctrl+C / ⌘C.
   */
  async function copyText(text, node, button, what) {
    let ok = false;
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        ok = true;
      } catch {
        ok = false;
      }
    }
    if (!ok && node) {
      selectContents(node);
      try {
        ok = document.execCommand("copy");
      } catch {
        ok = false;
      }
    }
    if (ok) {
      if (button) {
        clearTimeout(Number(button.dataset.copiedTimer || 0));
        button.textContent = "Copied";
        button.classList.add("is-done");
        button.dataset.copiedTimer = String(setTimeout(() => {
          button.textContent = "Copy";
          button.classList.remove("is-done");
        }, COPIED_MS));
      }
      toast(`${what} copied to the clipboard.`);
    } else {
      if (node) selectContents(node);
      toast(`Couldn't copy automatically. The ${what} is selected: press Ctrl+C (⌘C on a Mac).`, { error: true });
    }
    return ok;
  }

  // ---------------------------------------------------------------------------------------------
  // Sign-in / sign-out
  // ---------------------------------------------------------------------------------------------

  function readStoredToken() {
    try {
      return sessionStorage.getItem(TOKEN_KEY);
    } catch {
      return null;
    }
  }

  function storeToken(token) {
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      // Storage unavailable (privacy mode): the token lives in memory for this page only.
    }
  }

  function closeAllDialogs() {
    for (const d of [ui.tokenDialog, ui.regenerateDialog, ui.deleteDialog, ui.connectionsPanel, ui.schemasPanel]) {
      if (d.open) d.close();
    }
  }

  function resetAppState() {
    state.token = null;
    state.connections = [];
    state.connectionsLoaded = false;
    state.users = null;
    state.usersError = null;
    if (state.usersAbort) state.usersAbort.abort();
    if (state.connectionsAbort) state.connectionsAbort.abort();
    clearTimeout(state.searchTimer);
    ui.usersTbody.replaceChildren();
    ui.connectionList.replaceChildren();
    ui.tokenValue.value = "";
  }

  function showSignIn(notice) {
    closeAllDialogs();
    resetAppState();
    ui.usersView.hidden = true;
    ui.signOut.hidden = true;
    ui.signinView.hidden = false;
    document.title = "Sign in · idplex";
    ui.signinNotice.hidden = !notice;
    ui.signinNotice.textContent = notice || "";
    ui.signinError.textContent = "";
    ui.signinToken.removeAttribute("aria-invalid");
    ui.signinToken.value = "";
    setBusy(ui.signinSubmit, false);
    ui.signinToken.focus();
  }

  /** Any 401 from the API: the token was wrong or has been replaced. */
  function sessionExpired() {
    if (!state.token) return;
    storeToken(null);
    showSignIn("Your session has ended: the admin token was not accepted. Sign in again.");
  }

  function signOut() {
    storeToken(null);
    showSignIn("You have signed out.");
  }

  async function onSignIn(event) {
    event.preventDefault();
    const token = ui.signinToken.value.trim();
    ui.signinNotice.hidden = true;
    if (!token) {
      ui.signinError.textContent = "Enter the admin token.";
      ui.signinToken.setAttribute("aria-invalid", "true");
      ui.signinToken.focus();
      return;
    }
    ui.signinError.textContent = "";
    ui.signinToken.removeAttribute("aria-invalid");
    setBusy(ui.signinSubmit, true, "Signing in…");
    try {
      const data = await api("GET", "/connections", { token, redirectOn401: false });
      storeToken(token);
      state.token = token;
      ui.signinToken.value = "";
      enterApp(Array.isArray(data.connections) ? data.connections : []);
    } catch (err) {
      ui.signinError.textContent =
        err instanceof ApiError && err.status === 401
          ? "That admin token was not accepted. Copy the whole token printed by `idplex serve` and try again."
          : err.message || "Sign-in failed.";
      ui.signinToken.setAttribute("aria-invalid", "true");
      ui.signinToken.focus();
      ui.signinToken.select();
    } finally {
      setBusy(ui.signinSubmit, false);
    }
  }

  function enterApp(connections) {
    ui.signinView.hidden = true;
    ui.usersView.hidden = false;
    ui.signOut.hidden = false;
    document.title = "End Users · idplex";
    applyHash({ force: true });
    if (connections) setConnections(connections);
    else loadConnections();
    if (document.activeElement === document.body || !document.activeElement) ui.usersTitle?.focus?.();
  }

  // ---------------------------------------------------------------------------------------------
  // URL hash: #users?connection=ID&search=text&page=2
  // ---------------------------------------------------------------------------------------------

  function parseHash() {
    const raw = location.hash.replace(/^#/, "");
    const q = raw.indexOf("?");
    const params = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : "");
    const page = Number.parseInt(params.get("page") || "1", 10);
    return {
      connection: params.get("connection") || "",
      search: params.get("search") || "",
      page: Number.isFinite(page) && page > 0 ? page : 1,
    };
  }

  function hashFor(view) {
    const params = new URLSearchParams();
    if (view.connection) params.set("connection", view.connection);
    if (view.search) params.set("search", view.search);
    if (view.page > 1) params.set("page", String(view.page));
    const qs = params.toString();
    return `#users${qs ? `?${qs}` : ""}`;
  }

  /** Updates the view and the URL (a new history entry unless `replace`), then reloads users. */
  function navigate(patch, { replace = false } = {}) {
    state.view = { ...state.view, ...patch };
    const target = hashFor(state.view);
    if (location.hash !== target) {
      const url = `${location.pathname}${location.search}${target}`;
      if (replace) history.replaceState(null, "", url);
      else history.pushState(null, "", url);
    }
    syncControls();
    loadUsers();
  }

  /** Reads the view from the URL (load, back/forward, edited hash). */
  function applyHash({ force = false } = {}) {
    if (!state.token) return;
    const next = parseHash();
    const same = next.connection === state.view.connection && next.search === state.view.search && next.page === state.view.page;
    state.view = next;
    const canonical = hashFor(next);
    if (location.hash !== canonical) history.replaceState(null, "", `${location.pathname}${location.search}${canonical}`);
    syncControls();
    if (!same || force) loadUsers();
  }

  function syncControls() {
    if (ui.userSearch.value.trim() !== state.view.search) ui.userSearch.value = state.view.search;
    renderFilterOptions();
  }

  // ---------------------------------------------------------------------------------------------
  // Connections data
  // ---------------------------------------------------------------------------------------------

  async function loadConnections() {
    if (state.connectionsAbort) state.connectionsAbort.abort();
    const ctrl = new AbortController();
    state.connectionsAbort = ctrl;
    ui.panelLoading.textContent = state.connectionsLoaded ? "" : "Loading connections…";
    try {
      const data = await api("GET", "/connections", { signal: ctrl.signal });
      if (ctrl.signal.aborted) return;
      ui.panelAlert.hidden = true;
      setConnections(Array.isArray(data.connections) ? data.connections : []);
    } catch (err) {
      if (isHandled(err)) return;
      showPanelError(`Couldn't load connections: ${err.message}`);
      if (!state.connectionsLoaded) {
        ui.usersAlertText.textContent = `Couldn't load connections: ${err.message}`;
        ui.usersAlert.hidden = false;
      }
    } finally {
      if (state.connectionsAbort === ctrl) {
        state.connectionsAbort = null;
        ui.panelLoading.textContent = "";
      }
    }
  }

  function setConnections(list) {
    state.connections = list;
    state.connectionsLoaded = true;
    renderFilterOptions();
    renderConnectionList();
    // The filter points at a connection that no longer exists (deleted, stale bookmark).
    if (state.view.connection && !list.some((c) => c.id === state.view.connection)) {
      toast("That connection no longer exists. Showing users from all connections.");
      navigate({ connection: "", page: 1 }, { replace: true });
      return;
    }
    renderUsersArea();
  }

  function upsertConnection(conn) {
    const { token: _secret, ...clean } = conn; // never keep a token around in state
    const i = state.connections.findIndex((c) => c.id === clean.id);
    if (i >= 0) state.connections[i] = { ...state.connections[i], ...clean };
    else state.connections.push(clean);
    renderFilterOptions();
    renderConnectionList();
  }

  const connectionById = (id) => state.connections.find((c) => c.id === id) || null;

  function renderFilterOptions() {
    const select = ui.connectionFilter;
    const wanted = state.view.connection;
    const options = [h("option", { value: "" }, "All connections")];
    for (const c of state.connections) options.push(h("option", { value: c.id }, c.name));
    // Keep an unknown id selectable until the list arrives, so the control matches the URL.
    if (wanted && !state.connections.some((c) => c.id === wanted)) {
      options.push(h("option", { value: wanted }, state.connectionsLoaded ? "Unknown connection" : "Loading…"));
    }
    select.replaceChildren(...options);
    select.value = wanted;
  }

  // ---------------------------------------------------------------------------------------------
  // End Users
  // ---------------------------------------------------------------------------------------------

  async function loadUsers() {
    if (!state.token) return;
    if (state.usersAbort) state.usersAbort.abort();
    const ctrl = new AbortController();
    state.usersAbort = ctrl;
    const view = { ...state.view };
    const params = new URLSearchParams();
    if (view.connection) params.set("connection", view.connection);
    if (view.search) params.set("search", view.search);
    params.set("startIndex", String((view.page - 1) * PAGE_SIZE + 1));
    params.set("count", String(PAGE_SIZE));

    ui.usersLoading.textContent = "Loading users…";
    ui.usersTable.setAttribute("aria-busy", "true");
    ui.usersTable.classList.add("is-loading");
    ui.pagination.classList.add("is-loading");
    ui.pageNext.disabled = true;
    ui.pagePrev.disabled = true;
    try {
      const data = await api("GET", `/users?${params}`, { signal: ctrl.signal });
      if (ctrl.signal.aborted) return;
      const users = Array.isArray(data.users) ? data.users : [];
      const total = typeof data.totalResults === "number" ? data.totalResults : users.length;
      // Past the last page (users were deleted, or a stale link): go to the last page.
      if (users.length === 0 && total > 0 && view.page > 1) {
        navigate({ page: Math.max(1, Math.ceil(total / PAGE_SIZE)) }, { replace: true });
        return;
      }
      state.users = { view, users, total, startIndex: typeof data.startIndex === "number" ? data.startIndex : (view.page - 1) * PAGE_SIZE + 1 };
      state.usersError = null;
      ui.usersAlert.hidden = true;
      renderUsersArea();
      if (state.scrollToTable) {
        // After Previous/Next at the bottom of a long page, show the new page from its top.
        state.scrollToTable = false;
        const top = ui.usersTable.getBoundingClientRect().top;
        if (top < 0) ui.usersTable.scrollIntoView({ block: "start" });
      }
    } catch (err) {
      if (isHandled(err)) return;
      if (err instanceof ApiError && err.status === 404 && view.connection) {
        // The connection was deleted meanwhile.
        loadConnections();
        return;
      }
      state.usersError = err;
      state.users = null; // don't leave rows of another filter on screen
      ui.usersAlertText.textContent = `Couldn't load users: ${err.message}`;
      ui.usersAlert.hidden = false;
      renderUsersArea();
    } finally {
      if (state.usersAbort === ctrl) {
        state.usersAbort = null;
        ui.usersLoading.textContent = "";
        ui.usersTable.removeAttribute("aria-busy");
        ui.usersTable.classList.remove("is-loading");
        ui.pagination.classList.remove("is-loading");
      }
    }
  }

  function renderUsersArea() {
    const result = state.users;
    if (!result) {
      ui.usersTbody.replaceChildren();
      ui.usersEmpty.hidden = true;
      ui.usersTable.classList.remove("is-empty");
      ui.pagination.hidden = true;
      return;
    }
    const { users, total, startIndex, view } = result;
    ui.usersTbody.replaceChildren(...users.map(userRow));
    const empty = users.length === 0;
    ui.usersTable.classList.toggle("is-empty", empty);
    ui.usersEmpty.hidden = !empty;
    if (empty) renderEmptyState(view);
    else ui.usersEmpty.replaceChildren();

    ui.pagination.hidden = empty;
    if (!empty) {
      const first = startIndex;
      const last = startIndex + users.length - 1;
      ui.pageSummary.textContent = `${fmtNumber(first)}–${fmtNumber(last)} of ${fmtNumber(total)}`;
      ui.pagePrev.disabled = view.page <= 1;
      ui.pageNext.disabled = last >= total;
    }
  }

  function userRow(u) {
    const cell = (label, content, className) => h("td", { "data-label": label, className }, content);
    const conn = u.connectionId
      ? h("a", { href: hashFor({ connection: u.connectionId, search: "", page: 1 }), title: "Show only users from this connection" }, u.connectionName || u.connectionId)
      : missing();
    const badge = u.active
      ? h("span", { className: "badge badge-active", testid: "user-status" }, "Active")
      : h("span", { className: "badge badge-inactive", testid: "user-status" }, "Inactive");
    return h(
      "tr",
      { testid: "user-row", dataset: { userId: String(u.id ?? "") } },
      cell("User name", h("span", { className: "cell-strong", testid: "user-name" }, breakable(u.userName ?? ""))),
      cell("Display name", u.displayName ? u.displayName : missing()),
      cell("Email", u.email ? breakable(u.email) : missing()),
      cell("Connection", conn),
      cell("Status", badge),
      cell("Last modified", timeEl(u.lastModified), "cell-time"),
    );
  }

  function renderEmptyState(view) {
    const box = ui.usersEmpty;
    const parts = [];
    const openPanelButton = (label, primary) =>
      h("button", { type: "button", className: `btn ${primary ? "btn-primary" : "btn-secondary"}`, testid: "empty-open-connections", on: { click: () => openPanel() } }, label);

    if (view.search) {
      const conn = view.connection ? connectionById(view.connection) : null;
      parts.push(
        h("h2", {}, "No matching users"),
        h("p", {}, `No user${conn ? ` from ${conn.name}` : ""} matches “${view.search}”. Check the spelling, or search by user name, display name, email or external ID.`),
        h("div", { className: "empty-actions" },
          h("button", { type: "button", className: "btn btn-secondary", testid: "empty-clear-search", on: { click: () => { ui.userSearch.value = ""; navigate({ search: "", page: 1 }); ui.userSearch.focus(); } } }, "Clear search")),
      );
    } else if (!state.connectionsLoaded) {
      parts.push(h("p", {}, "No users."));
    } else if (state.connections.length === 0) {
      parts.push(
        h("h2", {}, "Connect your first identity provider"),
        h("p", {}, "End users are provisioned into idplex over SCIM 2.0 by your identity providers. Each identity provider gets its own connection."),
        h("ol", { className: "steps" },
          h("li", {}, "Open ", h("strong", {}, "Connections"), " and choose ", h("strong", {}, "Add connection"), " to get a SCIM URL and a SCIM token."),
          h("li", {}, "Name the connection after the client and the IdP, for example “Acme Corp - Okta”."),
          h("li", {}, "In your IdP (Okta, Microsoft Entra ID, …) enable SCIM provisioning with that SCIM URL and token as the bearer token."),
          h("li", {}, "Assign users to the app in the IdP. They appear here after the first sync, usually within a few minutes.")),
        h("div", { className: "empty-actions" },
          h("button", { type: "button", className: "btn btn-primary", testid: "empty-add-connection", on: { click: () => { openPanel(); addConnection(); } } }, "Add connection")),
      );
    } else if (view.connection) {
      const conn = connectionById(view.connection);
      const name = conn ? conn.name : "this connection";
      parts.push(
        h("h2", {}, `No users from ${name} yet`),
        h("p", {}, "Enter this connection's SCIM URL and token in the identity provider's SCIM provisioning settings and assign users to the app. The first sync usually takes a few minutes."),
        h("div", { className: "empty-actions" },
          openPanelButton("Open Connections", true),
          h("button", { type: "button", className: "btn btn-secondary", testid: "empty-show-all", on: { click: () => navigate({ connection: "", page: 1 }) } }, "Show all connections")),
      );
    } else {
      parts.push(
        h("h2", {}, "No users have synced yet"),
        h("p", {}, `You have ${plural(state.connections.length, "connection", "connections")}, but no identity provider has provisioned users yet. In each IdP, enable SCIM provisioning with the connection's SCIM URL and token, then assign users to the app. The first sync usually takes a few minutes.`),
        h("div", { className: "empty-actions" }, openPanelButton("Open Connections", true)),
      );
    }
    box.replaceChildren(...parts);
  }

  function onSearchInput() {
    clearTimeout(state.searchTimer);
    state.searchTimer = setTimeout(commitSearch, SEARCH_DEBOUNCE_MS);
  }

  function commitSearch() {
    clearTimeout(state.searchTimer);
    const search = ui.userSearch.value.trim();
    if (search === state.view.search) return;
    // While typing, replace the history entry rather than adding one per keystroke.
    navigate({ search, page: 1 }, { replace: true });
  }

  // ---------------------------------------------------------------------------------------------
  // Connections panel
  // ---------------------------------------------------------------------------------------------

  function openPanel() {
    if (!ui.connectionsPanel.open) ui.connectionsPanel.showModal();
    ui.panelAlert.hidden = true;
    renderConnectionList();
    loadConnections();
    ui.addConnection.focus();
  }

  function showPanelError(message) {
    ui.panelAlert.textContent = message;
    ui.panelAlert.hidden = false;
  }

  function renderConnectionList() {
    const list = state.connections;
    ui.connectionList.replaceChildren(...list.map(connectionItem));
    ui.connectionEmpty.hidden = !(state.connectionsLoaded && list.length === 0);
    ui.panelCount.textContent = state.connectionsLoaded ? plural(list.length, "connection", "connections") : "";
  }

  function connectionItem(c) {
    const url = h("code", { testid: "connection-scim-url", id: `scim-url-${c.id}` }, c.scimUrl || "");
    const copy = h("button", {
      type: "button", className: "btn btn-secondary btn-small btn-copy", testid: "copy-connection-scim-url",
      "aria-label": `Copy SCIM URL of ${c.name}`,
      on: { click: (e) => copyText(c.scimUrl || "", url, e.currentTarget, "SCIM URL") },
    }, "Copy");
    const meta = (label, value, testid) => h("div", {}, h("dt", {}, label), h("dd", { testid }, value));
    const li = h(
      "li",
      { className: `conn${state.highlightId === c.id ? " is-new" : ""}`, testid: "connection-row", dataset: { connectionId: c.id } },
      h("div", { className: "conn-head" },
        h("h3", { className: "conn-name", testid: "connection-name" }, c.name),
        h("div", { className: "conn-actions", role: "group", "aria-label": `Actions for ${c.name}` },
          h("button", { type: "button", className: "btn btn-ghost", testid: "rename-connection", "aria-label": `Rename ${c.name}`, on: { click: () => startRename(li, c) } }, "Rename"),
          h("button", { type: "button", className: "btn btn-ghost", testid: "regenerate-token", "aria-label": `Regenerate token of ${c.name}`, on: { click: () => openRegenerate(c) } }, "Regenerate token"),
          h("button", { type: "button", className: "btn btn-ghost btn-link-danger", testid: "delete-connection", "aria-label": `Delete ${c.name}`, on: { click: () => openDelete(c) } }, "Delete"))),
      h("div", { className: "conn-url" }, h("span", { className: "sr-only" }, "SCIM URL: "), url, copy),
      h("dl", { className: "conn-meta" },
        meta("Users", fmtNumber(c.userCount), "connection-user-count"),
        meta("Groups", fmtNumber(c.groupCount), "connection-group-count"),
        meta("Created", timeEl(c.created), "connection-created"),
        meta("Token issued", timeEl(c.tokenIssued), "connection-token-issued")),
      acceptUnknownToggle(c),
    );
    return li;
  }

  /** The connection's "accept unknown extensions" setting, saved when changed. */
  function acceptUnknownToggle(c) {
    const id = `accept-unknown-${c.id}`;
    const box = h("input", {
      type: "checkbox", id, testid: "accept-unknown-extensions", checked: c.acceptUnknownExtensions !== false,
      on: { change: (e) => setAcceptUnknown(c, e.currentTarget) },
    });
    return h("p", { className: "conn-setting" }, box,
      h("label", { for: id, title: "Keep extension attributes no registered schema describes (as sent, unchecked). Off: such requests fail with 400." },
        "Accept unknown extension attributes"));
  }

  async function setAcceptUnknown(c, box) {
    const wanted = box.checked;
    box.disabled = true;
    try {
      const updated = await api("PATCH", `/connections/${enc(c.id)}`, { body: { acceptUnknownExtensions: wanted } });
      upsertConnection(updated);
      toast(wanted ? `${c.name} now keeps unknown extension attributes.` : `${c.name} now refuses unknown extension attributes.`);
    } catch (err) {
      box.checked = !wanted;
      if (isHandled(err)) return;
      showPanelError(`Couldn't change the setting: ${err.message}`);
    } finally {
      box.disabled = false;
    }
  }

  function rowFor(id) {
    return [...ui.connectionList.children].find((li) => li.dataset.connectionId === id) || null;
  }

  function focusRowButton(id, testid) {
    const row = rowFor(id);
    const target = row && row.querySelector(`[data-testid="${testid}"]`);
    (target || ui.addConnection).focus();
  }

  // --- Rename (inline) ---

  function startRename(li, c) {
    const heading = li.querySelector(".conn-name");
    if (!heading) return;
    const inputId = `rename-${c.id}`;
    const errorId = `rename-error-${c.id}`;
    const input = h("input", {
      type: "text", id: inputId, value: c.name, autocomplete: "off", spellcheck: "false",
      testid: "rename-input", "aria-describedby": errorId,
    });
    const error = h("p", { className: "field-error", id: errorId, role: "alert", testid: "rename-error" });
    const save = h("button", { type: "submit", className: "btn btn-primary btn-small", testid: "rename-save" }, "Save");
    const cancel = h("button", { type: "button", className: "btn btn-secondary btn-small", testid: "rename-cancel" }, "Cancel");
    const form = h("form", { className: "rename-form", testid: "rename-form", novalidate: true },
      h("label", { for: inputId, className: "sr-only" }, "Connection name"),
      h("div", { className: "rename-row" }, input, save, cancel),
      error);
    const actions = li.querySelector(".conn-actions");
    const done = () => {
      form.replaceWith(heading);
      actions.hidden = false;
    };
    const cancelEdit = () => {
      done();
      focusRowButton(c.id, "rename-connection");
    };
    cancel.addEventListener("click", cancelEdit);
    input.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        // Cancel the edit, not the whole panel.
        e.preventDefault();
        e.stopPropagation();
        cancelEdit();
      }
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const name = input.value.trim();
      if (!name) {
        error.textContent = "Enter a name.";
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      if (name === c.name) {
        cancelEdit();
        return;
      }
      error.textContent = "";
      input.removeAttribute("aria-invalid");
      input.readOnly = true;
      setBusy(save, true, "Saving…");
      cancel.disabled = true;
      try {
        const updated = await api("PATCH", `/connections/${enc(c.id)}`, { body: { name } });
        upsertConnection(updated);
        focusRowButton(c.id, "rename-connection");
        toast(`Renamed to “${updated.name}”.`);
        refreshUsersIfShowing();
      } catch (err) {
        if (isHandled(err)) return;
        if (err instanceof ApiError && err.status === 404) {
          toast("That connection no longer exists.", { error: true });
          loadConnections();
          return;
        }
        error.textContent = renameErrorMessage(err, name);
        input.readOnly = false;
        input.setAttribute("aria-invalid", "true");
        setBusy(save, false);
        cancel.disabled = false;
        input.focus();
        input.select();
      }
    });
    actions.hidden = true;
    heading.replaceWith(form);
    input.focus();
    input.select();
  }

  /** Users rows show connection names and counts: reload after connection changes. */
  function refreshUsersIfShowing() {
    if (!ui.usersView.hidden) loadUsers();
  }

  // --- Add ---

  let adding = false;
  async function addConnection() {
    if (adding) return;
    adding = true;
    ui.panelAlert.hidden = true;
    setBusy(ui.addConnection, true, "Adding…");
    try {
      const created = await api("POST", "/connections", { body: {} });
      state.highlightId = created.id;
      upsertConnection(created);
      const row = rowFor(created.id);
      if (row) row.scrollIntoView({ block: "nearest" });
      setBusy(ui.addConnection, false);
      openTokenDialog(created, "created");
      refreshUsersIfShowing();
    } catch (err) {
      if (isHandled(err)) return;
      showPanelError(`Couldn't add a connection: ${err.message}`);
    } finally {
      adding = false;
      if (state.token) setBusy(ui.addConnection, false);
    }
  }

  // --- Token dialog (new connection / regenerated token) ---

  function openTokenDialog(conn, mode) {
    state.tokenDialog = { connection: conn, mode, copied: false, warned: false };
    const created = mode === "created";
    ui.tokenTitle.textContent = created ? "Connection created" : "New token issued";
    ui.tokenIntro.textContent = created
      ? "Enter these credentials in your identity provider's SCIM provisioning settings, then name the connection so you can recognise it."
      : `Replace the token in the SCIM provisioning settings of the identity provider behind “${conn.name}”. The previous token no longer works.`;
    ui.tokenScimUrl.value = conn.scimUrl || "";
    ui.tokenValue.value = conn.token || "";
    ui.tokenNameField.hidden = !created;
    ui.tokenName.value = created ? conn.name : "";
    ui.tokenNameError.textContent = "";
    ui.tokenName.removeAttribute("aria-invalid");
    ui.tokenCloseNote.textContent = "";
    setButtonLabel(ui.tokenSave, created ? "Save" : "Done");
    ui.tokenSave.disabled = false;
    for (const b of ui.tokenDialog.querySelectorAll(".btn-copy")) {
      b.textContent = "Copy";
      b.classList.remove("is-done");
    }
    ui.tokenDialog.showModal();
    // Land on the token's copy button: the one thing that can't be done later.
    ui.tokenDialog.querySelector('[data-testid="copy-token"]').focus();
  }

  function onTokenDialogClosed() {
    // Don't leave the secret lying around in the DOM.
    ui.tokenValue.value = "";
    const conn = state.tokenDialog.connection;
    state.tokenDialog.connection = null;
    if (conn) {
      requestAnimationFrame(() => {
        if (ui.connectionsPanel.open) focusRowButton(conn.id, state.tokenDialog.mode === "created" ? "rename-connection" : "regenerate-token");
      });
    }
    setTimeout(() => {
      if (state.highlightId) {
        state.highlightId = null;
        for (const li of ui.connectionList.querySelectorAll(".is-new")) li.classList.remove("is-new");
      }
    }, 4000);
  }

  function onTokenDialogCancel(event) {
    // Esc before the token was copied: warn once, since it can't be shown again.
    const t = state.tokenDialog;
    if (!t.copied && !t.warned) {
      event.preventDefault();
      t.warned = true;
      ui.tokenCloseNote.textContent = "The token has not been copied and can't be shown again. Copy it first, or press Esc again to close anyway.";
    }
  }

  async function onTokenDialogSubmit(event) {
    event.preventDefault();
    const t = state.tokenDialog;
    const conn = t.connection;
    if (!conn) {
      ui.tokenDialog.close();
      return;
    }
    if (t.mode !== "created") {
      ui.tokenDialog.close();
      return;
    }
    const name = ui.tokenName.value.trim();
    if (!name) {
      ui.tokenNameError.textContent = "Enter a name for the connection.";
      ui.tokenName.setAttribute("aria-invalid", "true");
      ui.tokenName.focus();
      return;
    }
    if (name === conn.name) {
      ui.tokenDialog.close();
      return;
    }
    ui.tokenNameError.textContent = "";
    ui.tokenName.removeAttribute("aria-invalid");
    setBusy(ui.tokenSave, true, "Saving…");
    try {
      const updated = await api("PATCH", `/connections/${enc(conn.id)}`, { body: { name } });
      t.connection = { ...conn, name: updated.name };
      upsertConnection(updated);
      setBusy(ui.tokenSave, false);
      ui.tokenDialog.close();
      toast(`Connection “${updated.name}” saved.`);
      refreshUsersIfShowing();
    } catch (err) {
      if (isHandled(err)) return;
      setBusy(ui.tokenSave, false);
      ui.tokenNameError.textContent = renameErrorMessage(err, name);
      ui.tokenName.setAttribute("aria-invalid", "true");
      ui.tokenName.focus();
      ui.tokenName.select();
    }
  }

  // --- Regenerate ---

  function openRegenerate(c) {
    state.regenerateTarget = c;
    ui.regenerateName.textContent = c.name;
    ui.regenerateError.textContent = "";
    setBusy(ui.regenerateConfirm, false);
    ui.regenerateCancel.disabled = false;
    ui.regenerateDialog.showModal();
    ui.regenerateCancel.focus();
  }

  async function onRegenerateSubmit(event) {
    event.preventDefault();
    const c = state.regenerateTarget;
    if (!c) return;
    ui.regenerateError.textContent = "";
    setBusy(ui.regenerateConfirm, true, "Regenerating…");
    ui.regenerateCancel.disabled = true;
    try {
      const updated = await api("POST", `/connections/${enc(c.id)}/token`);
      upsertConnection(updated);
      setBusy(ui.regenerateConfirm, false);
      ui.regenerateCancel.disabled = false;
      ui.regenerateDialog.close();
      openTokenDialog(updated, "regenerated");
    } catch (err) {
      if (isHandled(err)) return;
      setBusy(ui.regenerateConfirm, false);
      ui.regenerateCancel.disabled = false;
      ui.regenerateError.textContent = `Couldn't regenerate the token: ${err.message}`;
      if (err instanceof ApiError && err.status === 404) loadConnections();
    }
  }

  // --- Delete ---

  function openDelete(c) {
    state.deleteTarget = c;
    ui.deleteName.textContent = c.name;
    ui.deleteUsers.textContent = typeof c.userCount === "number"
      ? `its ${plural(c.userCount, "user", "users")} ${c.userCount === 1 ? "leaves" : "leave"} the End Users list`
      : "its users leave the End Users list";
    ui.deleteConfirmLabel.replaceChildren("Type ", h("strong", { className: "mono" }, c.name), " to confirm");
    ui.deleteConfirmInput.value = "";
    ui.deleteConfirmInput.removeAttribute("aria-invalid");
    ui.deleteError.textContent = "";
    setBusy(ui.deleteConfirm, false);
    ui.deleteConfirm.disabled = true;
    ui.deleteCancel.disabled = false;
    ui.deleteDialog.showModal();
    ui.deleteConfirmInput.focus();
  }

  function onDeleteInput() {
    const c = state.deleteTarget;
    ui.deleteConfirm.disabled = !c || ui.deleteConfirmInput.value.trim() !== c.name;
  }

  async function onDeleteSubmit(event) {
    event.preventDefault();
    const c = state.deleteTarget;
    if (!c) return;
    if (ui.deleteConfirmInput.value.trim() !== c.name) {
      ui.deleteError.textContent = "The name doesn't match.";
      ui.deleteConfirmInput.setAttribute("aria-invalid", "true");
      ui.deleteConfirmInput.focus();
      return;
    }
    ui.deleteError.textContent = "";
    setBusy(ui.deleteConfirm, true, "Deleting…");
    ui.deleteCancel.disabled = true;
    ui.deleteConfirmInput.readOnly = true;
    try {
      await api("DELETE", `/connections/${enc(c.id)}`);
      finishDelete(c);
    } catch (err) {
      if (isHandled(err)) return;
      if (err instanceof ApiError && err.status === 404) {
        finishDelete(c); // already gone
        return;
      }
      ui.deleteError.textContent = `Couldn't delete the connection: ${err.message}`;
      setBusy(ui.deleteConfirm, false);
      ui.deleteCancel.disabled = false;
      ui.deleteConfirmInput.readOnly = false;
    }
  }

  function finishDelete(c) {
    ui.deleteConfirmInput.readOnly = false;
    setBusy(ui.deleteConfirm, false);
    ui.deleteDialog.close();
    state.deleteTarget = null;
    state.connections = state.connections.filter((x) => x.id !== c.id);
    renderConnectionList();
    renderFilterOptions();
    toast(`Deleted “${c.name}”.`);
    requestAnimationFrame(() => ui.addConnection.focus());
    if (state.view.connection === c.id) navigate({ connection: "", page: 1 }, { replace: true });
    else refreshUsersIfShowing();
  }

  // ---------------------------------------------------------------------------------------------
  // Custom schemas panel
  // ---------------------------------------------------------------------------------------------

  const SCHEMA_TEMPLATE = {
    id: "urn:ietf:params:scim:schemas:extension:acme:2.0:User",
    name: "Acme",
    resourceType: "User",
    attributes: [
      { name: "badgeNumber", type: "integer" },
      { name: "costCode", type: "string", caseExact: true },
    ],
  };

  const schemasPath = () => (state.schemas.scope ? `/connections/${enc(state.schemas.scope)}/schemas` : "/schemas");

  function openSchemas() {
    if (!ui.schemasPanel.open) ui.schemasPanel.showModal();
    ui.schemasAlert.hidden = true;
    ui.schemaError.textContent = "";
    if (!ui.schemaDefinition.value.trim()) ui.schemaDefinition.value = JSON.stringify(SCHEMA_TEMPLATE, null, 2);
    renderScopeOptions();
    loadSchemas();
    if (!state.connectionsLoaded) loadConnections().then(renderScopeOptions);
    ui.schemasScope.focus();
  }

  function renderScopeOptions() {
    const options = [h("option", { value: "" }, "All connections (tenant-wide)")];
    for (const c of state.connections) options.push(h("option", { value: c.id }, `${c.name} only`));
    ui.schemasScope.replaceChildren(...options);
    if (state.schemas.scope && !connectionById(state.schemas.scope)) state.schemas.scope = "";
    ui.schemasScope.value = state.schemas.scope;
  }

  function showSchemasError(message) {
    ui.schemasAlert.textContent = message;
    ui.schemasAlert.hidden = false;
  }

  async function loadSchemas() {
    if (state.schemas.abort) state.schemas.abort.abort();
    const ctrl = new AbortController();
    state.schemas.abort = ctrl;
    ui.schemasLoading.textContent = "Loading schemas…";
    try {
      const data = await api("GET", schemasPath(), { signal: ctrl.signal });
      if (ctrl.signal.aborted) return;
      ui.schemasAlert.hidden = true;
      const list = Array.isArray(data.schemas) ? data.schemas : [];
      ui.schemaList.replaceChildren(...list.map(schemaItem));
      ui.schemaEmpty.hidden = list.length > 0;
    } catch (err) {
      if (isHandled(err)) return;
      showSchemasError(`Couldn't load schemas: ${err.message}`);
    } finally {
      if (state.schemas.abort === ctrl) {
        state.schemas.abort = null;
        ui.schemasLoading.textContent = "";
      }
    }
  }

  function attributeLine(a) {
    const traits = [a.type, a.multiValued && "multi-valued", a.required && "required", a.caseExact && "case-exact",
      a.mutability && a.mutability !== "readWrite" && a.mutability].filter(Boolean);
    return h("li", {}, h("code", {}, a.name), ` — ${traits.join(", ")}`);
  }

  function schemaItem(s) {
    const attributes = Array.isArray(s.attributes) ? s.attributes : [];
    return h("li", { className: "conn", testid: "schema-row", dataset: { schemaId: s.id } },
      h("div", { className: "conn-head" },
        h("h3", { className: "conn-name", testid: "schema-name" }, `${s.name} (${s.resourceType})`),
        h("div", { className: "conn-actions" },
          h("button", {
            type: "button", className: "btn btn-ghost btn-link-danger", testid: "delete-schema",
            "aria-label": `Delete schema ${s.name}`, on: { click: (e) => deleteSchema(s, e.currentTarget) },
          }, "Delete"))),
      h("p", { className: "schema-urn", testid: "schema-urn" }, s.id),
      s.description ? h("p", { className: "muted" }, s.description) : null,
      h("ul", { className: "schema-attrs" }, attributes.map(attributeLine)));
  }

  async function deleteSchema(s, button) {
    if (!window.confirm(`Delete the schema ${s.id}? Values already stored stay, unchecked.`)) return;
    setBusy(button, true, "Deleting…");
    try {
      await api("DELETE", `${schemasPath()}/${enc(s.id)}`);
      toast(`Schema ${s.name} deleted.`);
      loadSchemas();
    } catch (err) {
      if (isHandled(err)) return;
      setBusy(button, false);
      showSchemasError(`Couldn't delete the schema: ${err.message}`);
    }
  }

  async function onSchemaSubmit(event) {
    event.preventDefault();
    ui.schemaError.textContent = "";
    let definition;
    try {
      definition = JSON.parse(ui.schemaDefinition.value);
    } catch (err) {
      ui.schemaError.textContent = `This is not valid JSON: ${err.message}`;
      ui.schemaDefinition.focus();
      return;
    }
    setBusy(ui.schemaAdd, true, "Adding…");
    try {
      const created = await api("POST", schemasPath(), { body: definition });
      toast(`Schema ${created.name} added.`);
      ui.schemaDefinition.value = "";
      loadSchemas();
    } catch (err) {
      if (isHandled(err)) return;
      ui.schemaError.textContent = err.message;
      ui.schemaDefinition.focus();
    } finally {
      setBusy(ui.schemaAdd, false);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring
  // ---------------------------------------------------------------------------------------------

  /** Closes a modal dialog when its backdrop is clicked. */
  function closeOnBackdrop(dialog) {
    dialog.addEventListener("click", (e) => {
      if (e.target !== dialog) return;
      const r = dialog.getBoundingClientRect();
      const inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
      if (!inside) dialog.close();
    });
  }

  function init() {
    grabElements();
    ui.usersTitle = document.getElementById("users-title");
    if (ui.usersTitle) ui.usersTitle.tabIndex = -1;

    // The skip link must not touch the hash, which holds the End Users view.
    const skip = document.querySelector(".skip-link");
    if (skip) {
      skip.addEventListener("click", (e) => {
        e.preventDefault();
        (ui.usersView.hidden ? ui.signinToken : ui.usersTitle).focus();
      });
    }

    ui.signinForm.addEventListener("submit", onSignIn);
    ui.signOut.addEventListener("click", signOut);

    ui.connectionFilter.addEventListener("change", () => navigate({ connection: ui.connectionFilter.value, page: 1 }));
    ui.usersToolbar.addEventListener("submit", (e) => {
      e.preventDefault();
      commitSearch();
    });
    ui.userSearch.addEventListener("input", onSearchInput);
    ui.usersRetry.addEventListener("click", () => {
      ui.usersAlert.hidden = true;
      if (!state.connectionsLoaded) loadConnections();
      loadUsers();
    });
    ui.pagePrev.addEventListener("click", () => {
      if (state.view.page <= 1) return;
      state.scrollToTable = true;
      navigate({ page: state.view.page - 1 });
    });
    ui.pageNext.addEventListener("click", () => {
      state.scrollToTable = true;
      navigate({ page: state.view.page + 1 });
    });

    ui.openConnections.addEventListener("click", openPanel);
    ui.panelClose.addEventListener("click", () => ui.connectionsPanel.close());
    ui.addConnection.addEventListener("click", addConnection);
    closeOnBackdrop(ui.connectionsPanel);
    ui.connectionsPanel.addEventListener("close", () => {
      if (!ui.usersView.hidden) ui.openConnections.focus();
    });

    ui.openSchemas.addEventListener("click", openSchemas);
    ui.schemasClose.addEventListener("click", () => ui.schemasPanel.close());
    ui.schemasScope.addEventListener("change", () => {
      state.schemas.scope = ui.schemasScope.value;
      loadSchemas();
    });
    ui.schemaForm.addEventListener("submit", onSchemaSubmit);
    closeOnBackdrop(ui.schemasPanel);
    ui.schemasPanel.addEventListener("close", () => {
      if (!ui.usersView.hidden) ui.openSchemas.focus();
    });

    ui.tokenForm.addEventListener("submit", onTokenDialogSubmit);
    ui.tokenDialog.addEventListener("cancel", onTokenDialogCancel);
    ui.tokenDialog.addEventListener("close", onTokenDialogClosed);
    for (const button of ui.tokenDialog.querySelectorAll("[data-copy-target]")) {
      button.addEventListener("click", async () => {
        const input = $(button.dataset.copyTarget);
        const ok = await copyText(input.value, input, button, button.dataset.copyLabel || "Value");
        if (input === ui.tokenValue) {
          // Selecting the token by hand also counts; only a failed copy leaves it "uncopied".
          state.tokenDialog.copied = state.tokenDialog.copied || ok;
          if (ok) ui.tokenCloseNote.textContent = "";
        }
      });
    }
    ui.tokenValue.addEventListener("copy", () => {
      state.tokenDialog.copied = true;
      ui.tokenCloseNote.textContent = "";
    });
    ui.tokenValue.addEventListener("focus", () => ui.tokenValue.select());
    ui.tokenScimUrl.addEventListener("focus", () => ui.tokenScimUrl.select());

    ui.regenerateForm.addEventListener("submit", onRegenerateSubmit);
    ui.regenerateCancel.addEventListener("click", () => ui.regenerateDialog.close());
    ui.regenerateDialog.addEventListener("close", () => {
      const c = state.regenerateTarget;
      state.regenerateTarget = null;
      if (c && !ui.tokenDialog.open && ui.connectionsPanel.open) requestAnimationFrame(() => focusRowButton(c.id, "regenerate-token"));
    });

    ui.deleteForm.addEventListener("submit", onDeleteSubmit);
    ui.deleteConfirmInput.addEventListener("input", onDeleteInput);
    ui.deleteCancel.addEventListener("click", () => ui.deleteDialog.close());
    ui.deleteDialog.addEventListener("close", () => {
      const c = state.deleteTarget;
      state.deleteTarget = null;
      if (c && ui.connectionsPanel.open) requestAnimationFrame(() => focusRowButton(c.id, "delete-connection"));
    });

    window.addEventListener("popstate", () => applyHash());
    window.addEventListener("hashchange", () => applyHash());

    const token = readStoredToken();
    if (token) {
      state.token = token;
      enterApp(null);
    } else {
      showSignIn("");
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
