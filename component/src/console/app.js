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

  /** Longest value put into a table cell or tooltip; the user drawer shows the whole value. */
  const CLIP_CHARS = 200;
  const TOOLTIP_CHARS = 1000;

  /** `text` cut to `max` characters with an ellipsis (a 1 MB value must not reach the layout). */
  function clip(text, max = CLIP_CHARS) {
    const str = String(text ?? "");
    return str.length > max ? `${str.slice(0, max)}…` : str;
  }

  /**
   * A table cell value: at most two lines, cut with an ellipsis (CSS), at most CLIP_CHARS
   * characters in the page, and the value (up to TOOLTIP_CHARS) as tooltip.
   */
  function clipped(text, props = {}) {
    const str = String(text ?? "");
    return h("span", { className: "clip", title: clip(str, TOOLTIP_CHARS), ...props }, clip(str));
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

  /** End Users view defaults: left out of the URL. */
  const DEFAULT_VIEW = Object.freeze({
    connection: "", search: "", page: 1, sort: "userName", order: "ascending", active: "", duplicates: false,
  });
  const SORT_COLUMNS = [
    ["userName", "User name"], ["name", "Display name"], ["email", "Email"], ["connection", "Connection"], ["lastModified", "Last modified"],
  ];
  /** The ids of the connections the view is filtered on (none: all). */
  const viewIds = (view) => (view.connection ? view.connection.split(",").filter(Boolean) : []);

  const state = {
    token: null,
    /** @type {Array<object>} oldest first, as the API lists them */
    connections: [],
    connectionsLoaded: false,
    connectionsAbort: null,
    /** The End Users view, mirrored in the URL hash. */
    view: { ...DEFAULT_VIEW },
    usersAbort: null,
    /** Last users response, for rendering the empty state once connections are known too. */
    users: null,
    usersError: null,
    searchTimer: 0,
    /** Connection whose credentials the token dialog shows, and what it shows them for. */
    tokenDialog: { connection: null, mode: "created", copied: false, warned: false },
    regenerateTarget: null,
    toggleTarget: null,
    /** Element focused before the user drawer or the connection chooser opened. */
    returnFocus: null,
    userAbort: null,
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
      "first-run", "first-run-form", "first-run-name", "first-run-error", "first-run-create", "users-card",
      "choose-connections", "active-filter", "sort-select", "duplicates-filter",
      "token-scim-url-label", "token-value-label", "token-guide", "regenerate-effect", "delete-counts",
      "toggle-dialog", "toggle-form", "toggle-title", "toggle-desc", "toggle-error", "toggle-cancel", "toggle-confirm",
      "choose-dialog", "choose-form", "choose-list", "choose-cancel", "choose-apply",
      "user-drawer", "user-drawer-title", "user-drawer-close", "user-drawer-body",
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
    for (const d of [ui.tokenDialog, ui.regenerateDialog, ui.deleteDialog, ui.toggleDialog, ui.chooseDialog, ui.userDrawer, ui.connectionsPanel, ui.schemasPanel]) {
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
      const data = { connections: await fetchConnections({ token, redirectOn401: false }) };
      storeToken(token);
      state.token = token;
      ui.signinToken.value = "";
      enterApp(Array.isArray(data.connections) ? data.connections : []);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        ui.signinError.replaceChildren(
          "That admin token was not accepted. Copy the whole token printed by ", h("code", {}, "idplex serve"), " and try again.");
      } else {
        ui.signinError.textContent = err.message || "Sign-in failed.";
      }
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
    const sort = params.get("sort");
    const order = params.get("order");
    const active = params.get("active");
    return {
      connection: (params.get("connection") || "").split(",").filter(Boolean).join(","),
      search: params.get("search") || "",
      page: Number.isFinite(page) && page > 0 ? page : 1,
      sort: SORT_COLUMNS.some(([key]) => key === sort) ? sort : DEFAULT_VIEW.sort,
      order: order === "descending" ? "descending" : "ascending",
      active: active === "true" || active === "false" ? active : "",
      duplicates: params.get("duplicates") === "email",
    };
  }

  function hashFor(patch) {
    const view = { ...DEFAULT_VIEW, ...patch };
    const params = new URLSearchParams();
    if (view.connection) params.set("connection", view.connection);
    if (view.search) params.set("search", view.search);
    if (view.active) params.set("active", view.active);
    if (view.duplicates) params.set("duplicates", "email");
    if (view.sort !== DEFAULT_VIEW.sort || view.order !== DEFAULT_VIEW.order) {
      params.set("sort", view.sort);
      params.set("order", view.order);
    }
    if (view.page > 1) params.set("page", String(view.page));
    const qs = params.toString().replace(/%2C/g, ",");
    return `#users${qs ? `?${qs}` : ""}`;
  }

  const sameView = (a, b) => Object.keys(DEFAULT_VIEW).every((k) => a[k] === b[k]);

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
    const same = sameView(next, state.view);
    state.view = next;
    const canonical = hashFor(next);
    if (location.hash !== canonical) history.replaceState(null, "", `${location.pathname}${location.search}${canonical}`);
    syncControls();
    if (!same || force) loadUsers();
  }

  function syncControls() {
    if (ui.userSearch.value.trim() !== state.view.search) ui.userSearch.value = state.view.search;
    ui.activeFilter.value = state.view.active;
    ui.duplicatesFilter.checked = state.view.duplicates;
    ui.sortSelect.value = `${state.view.sort}:${state.view.order}`;
    for (const th of ui.usersTable.querySelectorAll("th[data-sort]")) {
      if (th.dataset.sort === state.view.sort) th.setAttribute("aria-sort", state.view.order);
      else th.removeAttribute("aria-sort");
    }
    renderFilterOptions();
  }

  // ---------------------------------------------------------------------------------------------
  // Connections data
  // ---------------------------------------------------------------------------------------------

  /** Every connection, oldest first, a page of CONNECTIONS_PAGE at a time (the API pages them). */
  const CONNECTIONS_PAGE = 1000;
  async function fetchConnections(options) {
    const all = [];
    for (;;) {
      const data = await api("GET", `/connections?startIndex=${all.length + 1}&count=${CONNECTIONS_PAGE}`, options);
      const page = Array.isArray(data.connections) ? data.connections : [];
      all.push(...page);
      // A server without paging answers everything at once, without totalResults.
      if (typeof data.totalResults !== "number" || page.length === 0 || all.length >= data.totalResults) return all;
    }
  }

  async function loadConnections() {
    if (state.connectionsAbort) state.connectionsAbort.abort();
    const ctrl = new AbortController();
    state.connectionsAbort = ctrl;
    ui.panelLoading.textContent = state.connectionsLoaded ? "" : "Loading connections…";
    try {
      const data = { connections: await fetchConnections({ signal: ctrl.signal }) };
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
    const ids = viewIds(state.view);
    const known = ids.filter((id) => list.some((c) => c.id === id));
    if (known.length < ids.length) {
      toast(known.length
        ? "A connection in the filter no longer exists. Showing users from the others."
        : "That connection no longer exists. Showing users from all connections.");
      navigate({ connection: known.join(","), page: 1 }, { replace: true });
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
    renderFirstRun();
  }

  const connectionById = (id) => state.connections.find((c) => c.id === id) || null;

  function renderFilterOptions() {
    const select = ui.connectionFilter;
    const wanted = state.view.connection;
    const ids = viewIds(state.view);
    const options = [h("option", { value: "" }, "All connections")];
    for (const c of state.connections) options.push(h("option", { value: c.id }, c.enabled === false ? `${c.name} (disabled)` : c.name));
    if (ids.length > 1) {
      options.push(h("option", { value: wanted }, `${ids.length} connections`));
    } else if (wanted && !state.connections.some((c) => c.id === wanted)) {
      // Keep an unknown id selectable until the list arrives, so the control matches the URL.
      options.push(h("option", { value: wanted }, state.connectionsLoaded ? "Unknown connection" : "Loading…"));
    }
    select.replaceChildren(...options);
    select.value = wanted;
  }

  function renderSortOptions() {
    const options = [];
    for (const [key, label] of SORT_COLUMNS) {
      options.push(h("option", { value: `${key}:ascending` }, `${label}, ascending`));
      options.push(h("option", { value: `${key}:descending` }, `${label}, descending`));
    }
    ui.sortSelect.replaceChildren(...options);
  }

  /** Sorts by a column header: a second click on the same column reverses the order. */
  function sortBy(column) {
    const order = state.view.sort === column && state.view.order === "ascending" ? "descending" : "ascending";
    navigate({ sort: column, order, page: 1 });
  }

  // --- First run: no connection yet ---

  const IDP_NAMES = { okta: "Okta", entra: "Microsoft Entra ID", other: "SCIM client" };

  const firstRunIdp = () => (ui.firstRunForm.querySelector('input[name="first-run-idp"]:checked') || {}).value || "other";

  /** The set-up flow replaces End Users while there is no connection. */
  function renderFirstRun() {
    const show = state.connectionsLoaded && state.connections.length === 0;
    const was = !ui.firstRun.hidden;
    ui.firstRun.hidden = !show;
    ui.usersToolbar.hidden = show;
    ui.usersCard.hidden = show;
    if (show && !was) {
      ui.firstRunError.textContent = "";
      ui.firstRunName.placeholder = `Acme Corp - ${IDP_NAMES[firstRunIdp()]}`;
    }
  }

  let creatingFirst = false;
  async function onFirstRunSubmit(event) {
    event.preventDefault();
    if (creatingFirst) return;
    creatingFirst = true;
    const idp = firstRunIdp();
    const name = ui.firstRunName.value.trim();
    ui.firstRunError.textContent = "";
    setBusy(ui.firstRunCreate, true, "Creating…");
    try {
      const created = await api("POST", "/connections", { body: name ? { name } : {} });
      ui.firstRunName.value = "";
      upsertConnection(created);
      openTokenDialog(created, "created", idp);
      refreshUsersIfShowing();
    } catch (err) {
      if (isHandled(err)) return;
      ui.firstRunError.textContent = err instanceof ApiError && err.code === "name_taken"
        ? renameErrorMessage(err, name)
        : `Couldn't create the connection: ${err.message}`;
      ui.firstRunName.focus();
    } finally {
      creatingFirst = false;
      if (state.token) setBusy(ui.firstRunCreate, false);
    }
  }

  // --- Several connections ---

  function openChooser() {
    const ids = viewIds(state.view);
    ui.chooseList.replaceChildren(...state.connections.map((c) => {
      const id = `choose-${c.id}`;
      return h("p", { className: "choice" },
        h("input", { type: "checkbox", id, value: c.id, checked: ids.includes(c.id), testid: "choose-connection" }),
        h("label", { for: id }, c.name, c.enabled === false ? h("span", { className: "muted" }, " (disabled)") : null));
    }));
    if (state.connections.length === 0) ui.chooseList.replaceChildren(h("p", { className: "muted" }, "No connections yet."));
    state.returnFocus = ui.chooseConnections;
    ui.chooseDialog.showModal();
    (ui.chooseList.querySelector("input") || ui.chooseCancel).focus();
  }

  function onChooseSubmit(event) {
    event.preventDefault();
    const ids = [...ui.chooseList.querySelectorAll("input:checked")].map((i) => i.value);
    ui.chooseDialog.close();
    navigate({ connection: ids.length === state.connections.length ? "" : ids.join(","), page: 1 });
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
    if (view.active) params.set("active", view.active);
    if (view.duplicates) params.set("duplicates", "email");
    params.set("sortBy", view.sort);
    params.set("sortOrder", view.order);
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
      const ids = viewIds(view);
      if (err instanceof ApiError && err.status === 404 && view.connection && !(ids.length > 1 && ids.every(connectionById))) {
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
    renderFirstRun();
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
    const disabled = u.connectionEnabled === false;
    const conn = u.connectionId
      ? h("a", { href: hashFor({ connection: u.connectionId }), title: "Show only users from this connection", className: "clip" }, clip(u.connectionName || u.connectionId))
      : missing();
    const badge = u.active
      ? h("span", { className: "badge badge-active", testid: "user-status" }, "Active")
      : h("span", { className: "badge badge-inactive", testid: "user-status" }, "Inactive");
    const open = h("button", {
      type: "button", className: "link-btn cell-strong clip", testid: "user-name", title: clip(u.userName ?? "", TOOLTIP_CHARS),
      on: { click: (e) => openUser(u, e.currentTarget) },
    }, clip(u.userName ?? ""));
    return h(
      "tr",
      { testid: "user-row", dataset: { userId: String(u.id ?? ""), connectionId: String(u.connectionId ?? "") }, className: disabled ? "is-disabled" : null },
      cell("User name", open),
      cell("Display name", u.displayName ? clipped(u.displayName) : missing()),
      cell("Email", [
        u.email ? clipped(u.email) : missing(),
        u.duplicate ? h("span", { className: "badge badge-dup", testid: "user-duplicate", title: "A user in another connection has this email" }, "Duplicate") : null,
      ]),
      cell("Connection", [
        conn,
        disabled ? h("span", { className: "badge badge-disabled", testid: "user-connection-disabled", title: "This connection is disabled: its identity provider can't change these users" }, "Disabled") : null,
      ]),
      cell("Status", badge),
      cell("Last modified", timeEl(u.lastModified), "cell-time"),
    );
  }

  // --- User drawer ---

  function openUser(u, trigger) {
    if (state.userAbort) state.userAbort.abort();
    const ctrl = new AbortController();
    state.userAbort = ctrl;
    state.returnFocus = trigger;
    ui.userDrawerTitle.textContent = "User details";
    ui.userDrawerBody.replaceChildren(userSummary(u, null), h("p", { className: "loading-line", role: "status" }, "Loading the user…"));
    if (!ui.userDrawer.open) ui.userDrawer.showModal();
    ui.userDrawerClose.focus();
    api("GET", `/users/${enc(u.connectionId)}/${enc(u.id)}`, { signal: ctrl.signal })
      .then((data) => {
        if (ctrl.signal.aborted) return;
        const resource = data && data.user && typeof data.user === "object" ? data.user : {};
        const groups = Array.isArray(data.groups) ? data.groups : [];
        ui.userDrawerBody.replaceChildren(
          userSummary(u, data.connection || null),
          h("h3", { className: "drawer-h" }, "Groups"),
          groups.length
            ? h("ul", { className: "drawer-groups", testid: "user-groups" }, groups.map((g) => h("li", {}, clip(g.displayName || g.id, 500))))
            : h("p", { className: "muted", testid: "user-groups" }, "Not a member of any group."),
          h("h3", { className: "drawer-h" }, "All attributes"),
          attributeList(resource, "user-attributes"));
      })
      .catch((err) => {
        if (isHandled(err)) return;
        const notServed = err instanceof ApiError && err.status === 404 && /endpoint/.test(err.message);
        ui.userDrawerBody.replaceChildren(
          userSummary(u, null),
          h("p", { className: notServed ? "notice notice-info" : "notice notice-error", role: "alert", testid: "user-drawer-error" },
            notServed
              ? "This server does not serve a user's full SCIM resource yet: shown are the attributes End Users lists."
              : err instanceof ApiError && err.status === 404 ? "This user no longer exists." : `Couldn't load the user: ${err.message}`),
          h("h3", { className: "drawer-h" }, "Attributes"),
          attributeList({ userName: u.userName, displayName: u.displayName, givenName: u.givenName, familyName: u.familyName, email: u.email, externalId: u.externalId, active: u.active, id: u.id, created: u.created, lastModified: u.lastModified }, "user-attributes"));
      });
  }

  /** The drawer's head: user name (whole, wrapped), connection and its state, status. */
  function userSummary(u, connection) {
    const enabled = connection ? connection.enabled !== false : u.connectionEnabled !== false;
    const connName = (connection && connection.name) || u.connectionName || u.connectionId;
    return h("div", { className: "drawer-summary" },
      h("p", { className: "drawer-username", testid: "user-drawer-username" }, String(u.userName ?? "")),
      h("dl", { className: "conn-meta" },
        h("div", {}, h("dt", {}, "Connection"), h("dd", { testid: "user-drawer-connection" }, connName, enabled ? "" : " (disabled)")),
        h("div", {}, h("dt", {}, "Status"), h("dd", {}, u.active ? "Active" : "Inactive"))));
  }

  /** A SCIM resource as nested definition lists; every value whole (wrapped anywhere). */
  function attributeList(value, testid) {
    const dl = h("dl", { className: "attr-list", testid });
    for (const [key, v] of Object.entries(value || {})) {
      if (v === undefined) continue;
      dl.append(h("div", {}, h("dt", {}, key), h("dd", {}, attributeValue(v))));
    }
    return dl;
  }

  function attributeValue(v) {
    if (v === null || v === "") return missing();
    if (Array.isArray(v)) return h("ol", { className: "attr-array" }, v.map((item) => h("li", {}, attributeValue(item))));
    if (typeof v === "object") return attributeList(v);
    return h("span", { className: "attr-value" }, String(v));
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
      parts.push(h("p", {}, "No connections yet."));
    } else if (view.active || view.duplicates) {
      parts.push(
        h("h2", {}, "No matching users"),
        h("p", {}, view.duplicates ? "No user's email is also the email of a user in another connection." : `No ${view.active === "true" ? "active" : "inactive"} users here.`),
        h("div", { className: "empty-actions" },
          h("button", { type: "button", className: "btn btn-secondary", testid: "empty-clear-filters", on: { click: () => navigate({ active: "", duplicates: false, page: 1 }) } }, "Show all users")),
      );
    } else if (view.connection) {
      const conn = viewIds(view).length === 1 ? connectionById(view.connection) : null;
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

  /** The SCIM URL with a line-break opportunity after each "/": the connection id never splits. */
  function urlCode(url, props) {
    const parts = String(url).split(/(?<=\/)/);
    const code = h("code", { className: "url", ...props });
    parts.forEach((part, i) => {
      if (i > 0) code.append(document.createElement("wbr"));
      code.append(h("span", { className: i === parts.length - 1 ? "url-tail" : null }, part));
    });
    return code;
  }

  const ACTIONS = {
    "user.created": "created user", "user.updated": "updated user", "user.deactivated": "deactivated user",
    "user.reactivated": "reactivated user", "user.deleted": "deleted user", "group.created": "created group",
    "group.updated": "updated group", "group.deleted": "deleted group", "connection.created": "created the connection",
    "connection.renamed": "renamed the connection", "connection.token_regenerated": "regenerated the token",
    "connection.disabled": "disabled the connection", "connection.enabled": "enabled the connection",
    "connection.deleted": "deleted the connection",
  };

  /** The connection's health, kept by the server as provisioning happens (absent on older servers). */
  function healthBlock(c) {
    const health = c.health;
    if (!health || typeof health !== "object") return null;
    const meta = (label, value, testid) => h("div", {}, h("dt", {}, label), h("dd", { testid }, value));
    const failure = health.lastFailure;
    return h("section", { className: "conn-health", testid: "connection-health", "aria-label": `Health of ${c.name}` },
      h("dl", { className: "conn-meta" },
        meta("Last success", health.lastSuccessAt ? timeEl(health.lastSuccessAt) : "never", "health-last-success"),
        meta("Requests (24 h)", fmtNumber(health.requests24h), "health-requests"),
        meta("Active users", fmtNumber(health.activeUsers), "health-active"),
        meta("Inactive users", fmtNumber(health.inactiveUsers), "health-inactive")),
      failure && typeof failure === "object"
        ? h("p", { className: "conn-failure", testid: "health-last-failure" },
          h("strong", {}, "Last failure: "), timeEl(failure.at), ` — ${failure.status ?? "?"}`,
          failure.detail ? h("span", { className: "clip", title: clip(failure.detail, TOOLTIP_CHARS) }, ` ${clip(failure.detail)}`) : "")
        : h("p", { className: "conn-failure muted", testid: "health-last-failure" }, "No failed request."));
  }

  /** The connection's activity feed, loaded when shown. */
  function activityToggle(c) {
    const regionId = `activity-${c.id}`;
    const region = h("div", { id: regionId, className: "conn-activity", testid: "connection-activity", hidden: true });
    const button = h("button", {
      type: "button", className: "btn btn-ghost btn-small", testid: "show-activity", "aria-expanded": "false", "aria-controls": regionId,
      "aria-label": `Activity of ${c.name}`,
    }, "Activity");
    button.addEventListener("click", () => {
      const open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      region.hidden = !open;
      if (open) loadActivity(c, region, null);
    });
    return [button, region];
  }

  async function loadActivity(c, region, cursor) {
    if (!cursor) region.replaceChildren(h("p", { className: "loading-line", role: "status" }, "Loading activity…"));
    const params = new URLSearchParams({ connection: c.id, count: "20" });
    if (cursor) params.set("before", cursor);
    try {
      const data = await api("GET", `/audit?${params}`);
      const events = Array.isArray(data.events) ? data.events : [];
      let list = region.querySelector("ol");
      if (!cursor) {
        list = h("ol", { className: "activity-list", "aria-label": `Activity of ${c.name}, newest first` });
        region.replaceChildren(list);
      }
      for (const e of events) {
        list.append(h("li", { testid: "activity-event" },
          timeEl(e.at), " ",
          h("span", { className: "activity-actor" }, e.actor === "admin" ? "Admin" : e.actor === "idp" ? "Identity provider" : String(e.actor ?? "")),
          ` ${ACTIONS[e.action] || e.action}`,
          e.resourceType && e.resourceType !== "Connection" && e.resourceId ? h("code", { className: "clip", title: e.resourceId }, ` ${clip(e.resourceId, 60)}`) : "",
          e.detail ? h("span", { className: "muted" }, ` (${clip(e.detail, 120)})`) : ""));
      }
      region.querySelector(".activity-more")?.remove();
      if (!list.children.length) region.append(h("p", { className: "muted", testid: "activity-empty" }, "No activity yet."));
      if (data.nextCursor) {
        const more = h("button", { type: "button", className: "btn btn-secondary btn-small activity-more", testid: "activity-more" }, "Older activity");
        more.addEventListener("click", () => loadActivity(c, region, data.nextCursor));
        region.append(more);
      }
    } catch (err) {
      if (isHandled(err)) return;
      const absent = err instanceof ApiError && err.status === 404;
      region.replaceChildren(h("p", { className: absent ? "muted" : "field-error", testid: "activity-error" },
        absent ? "This server does not keep an activity feed yet." : `Couldn't load activity: ${err.message}`));
    }
  }

  function connectionItem(c) {
    const url = urlCode(c.scimUrl || "", { testid: "connection-scim-url", id: `scim-url-${c.id}` });
    const copy = h("button", {
      type: "button", className: "btn btn-secondary btn-small btn-copy", testid: "copy-connection-scim-url",
      "aria-label": `Copy SCIM URL of ${c.name}`,
      on: { click: (e) => copyText(c.scimUrl || "", url, e.currentTarget, "SCIM URL") },
    }, "Copy");
    const meta = (label, value, testid) => h("div", {}, h("dt", {}, label), h("dd", { testid }, value));
    const hasEnabled = typeof c.enabled === "boolean";
    const disabled = c.enabled === false;
    const li = h(
      "li",
      { className: `conn${state.highlightId === c.id ? " is-new" : ""}${disabled ? " is-disabled" : ""}`, testid: "connection-row", dataset: { connectionId: c.id } },
      h("div", { className: "conn-head" },
        h("h3", { className: "conn-name", testid: "connection-name" }, c.name),
        h("div", { className: "conn-actions", role: "group", "aria-label": `Actions for ${c.name}` },
          h("button", { type: "button", className: "btn btn-ghost", testid: "rename-connection", "aria-label": `Rename ${c.name}`, on: { click: () => startRename(li, c) } }, "Rename"),
          h("button", { type: "button", className: "btn btn-ghost", testid: "regenerate-token", "aria-label": `Regenerate token of ${c.name}`, on: { click: () => openRegenerate(c) } }, "Regenerate token"),
          hasEnabled
            ? h("button", { type: "button", className: "btn btn-ghost", testid: "toggle-connection", "aria-label": `${disabled ? "Enable" : "Disable"} ${c.name}`, on: { click: () => openToggle(c) } }, disabled ? "Enable" : "Disable")
            : null,
          h("button", { type: "button", className: "btn btn-ghost btn-link-danger", testid: "delete-connection", "aria-label": `Delete ${c.name}`, on: { click: () => openDelete(c) } }, "Delete"))),
      disabled ? h("p", { className: "notice notice-warning conn-disabled", testid: "connection-disabled" }, "Disabled: its identity provider's requests are refused (403). Its users and groups are kept.") : null,
      h("div", { className: "conn-url" }, h("span", { className: "sr-only" }, "SCIM URL: "), url, copy),
      h("dl", { className: "conn-meta" },
        meta("Users", fmtNumber(c.userCount), "connection-user-count"),
        meta("Groups", fmtNumber(c.groupCount), "connection-group-count"),
        meta("Created", timeEl(c.created), "connection-created"),
        meta("Token issued", timeEl(c.tokenIssued), "connection-token-issued"),
        c.tokenHint ? meta("Token", h("code", {}, c.tokenHint), "connection-token-hint") : null,
        c.previousTokenExpires ? meta("Previous token works until", timeEl(c.previousTokenExpires), "connection-previous-token") : null),
      healthBlock(c),
      acceptUnknownToggle(c),
      h("div", { className: "conn-foot" }, activityToggle(c)),
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

  /** Where each identity provider wants the SCIM URL and the token, in its own words. */
  const IDP_FIELDS = {
    okta: { url: "SCIM connector base URL", token: "API Token" },
    entra: { url: "Tenant URL", token: "Secret Token" },
  };

  function idpGuide(idp) {
    const step = (...parts) => h("li", {}, ...parts);
    const b = (text) => h("strong", {}, text);
    if (idp === "okta") {
      return [h("h3", {}, "In Okta"), h("ol", {},
        step("Open your app's ", b("Provisioning"), " tab, ", b("Integration"), ", and edit the SCIM connection."),
        step(b("SCIM connector base URL"), ": the URL above. ", b("Unique identifier field for users"), ": ", h("code", {}, "userName"), "."),
        step(b("Authentication Mode"), ": ", b("HTTP Header"), "; paste the token above as the ", b("API Token"), " (Okta sends it as ", h("code", {}, "Authorization: Bearer …"), ")."),
        step(b("Test Connector Configuration"), ", save, then enable Create, Update and Deactivate Users under ", b("To App"), "."))];
    }
    if (idp === "entra") {
      return [h("h3", {}, "In Microsoft Entra ID"), h("ol", {},
        step("Open ", b("Enterprise applications"), ", your app, ", b("Provisioning"), ", and set ", b("Provisioning Mode"), " to ", b("Automatic"), "."),
        step("Under ", b("Admin Credentials"), ": ", b("Tenant URL"), " is the URL above, ", b("Secret Token"), " the token above."),
        step(b("Test Connection"), ", save, then ", b("Start provisioning"), "."))];
    }
    return [];
  }

  function openTokenDialog(conn, mode, idp = "") {
    state.tokenDialog = { connection: conn, mode, copied: false, warned: false };
    const fields = IDP_FIELDS[idp];
    ui.tokenScimUrlLabel.textContent = fields ? fields.url : "SCIM URL";
    ui.tokenValueLabel.textContent = fields ? fields.token : "SCIM token";
    const guide = idpGuide(idp);
    ui.tokenGuide.replaceChildren(...guide);
    ui.tokenGuide.hidden = guide.length === 0;
    for (const b of ui.tokenDialog.querySelectorAll("[data-copy-target]")) {
      b.dataset.copyLabel = b.dataset.copyTarget === "token-scim-url" ? (fields ? fields.url : "SCIM URL") : (fields ? fields.token : "SCIM token");
    }
    const created = mode === "created";
    ui.tokenTitle.textContent = created ? "Connection created" : "New token issued";
    ui.tokenIntro.textContent = created
      ? "Enter these credentials in your identity provider's SCIM provisioning settings, then name the connection so you can recognise it."
      : `Replace the token in the SCIM provisioning settings of the identity provider behind “${conn.name}”. ${conn.previousTokenExpires
        ? `The previous token keeps working until ${fmtDate(conn.previousTokenExpires)}.`
        : "The previous token no longer works."}`;
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
        else setTimeout(() => {
          // The element that opened the dialog may be gone (the first-run form): land on the page title.
          const active = document.activeElement;
          if (!ui.usersView.hidden && (!active || active === document.body || !active.checkVisibility())) ui.usersTitle.focus();
        }, 0);
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

  const graceChoice = () => Number((ui.regenerateForm.querySelector('input[name="grace"]:checked') || {}).value || 0);

  function renderRegenerateEffect() {
    const grace = graceChoice();
    ui.regenerateEffect.replaceChildren(...(grace === 0
      ? [h("strong", {}, "The current token stops working at once."), " Provisioning from this identity provider fails until you enter the new token in its SCIM settings."]
      : [h("strong", {}, `The current token keeps working for ${grace === 3600 ? "1 hour" : "24 hours"}`), ", so you can enter the new token in the identity provider without failed syncs. Then it stops working."]));
  }

  function openRegenerate(c) {
    state.regenerateTarget = c;
    ui.regenerateName.textContent = c.name;
    ui.regenerateForm.querySelector('input[name="grace"][value="0"]').checked = true;
    renderRegenerateEffect();
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
      const grace = graceChoice();
      const updated = await api("POST", `/connections/${enc(c.id)}/token`, { body: { graceSeconds: grace } });
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
    renderDeleteCounts(c);
    ui.deleteConfirmLabel.replaceChildren("Type ", h("strong", { className: "mono" }, c.name), " to confirm");
    ui.deleteConfirmInput.value = "";
    ui.deleteConfirmInput.removeAttribute("aria-invalid");
    ui.deleteError.textContent = "";
    setBusy(ui.deleteConfirm, false);
    ui.deleteConfirm.disabled = true;
    ui.deleteCancel.disabled = false;
    ui.deleteDialog.showModal();
    ui.deleteConfirmInput.focus();
    // The counts in the list may be stale: show what is there now.
    api("GET", `/connections/${enc(c.id)}`).then((fresh) => {
      if (state.deleteTarget !== c || !fresh) return;
      upsertConnection(fresh);
      state.deleteTarget = { ...c, ...fresh };
      renderDeleteCounts(state.deleteTarget);
    }).catch(() => {});
  }

  function renderDeleteCounts(c) {
    ui.deleteUsers.textContent = typeof c.userCount === "number"
      ? `its ${plural(c.userCount, "user", "users")} ${c.userCount === 1 ? "leaves" : "leave"} the End Users list`
      : "its users leave the End Users list";
    const counts = [];
    if (typeof c.userCount === "number") counts.push(plural(c.userCount, "user", "users"));
    if (typeof c.groupCount === "number") counts.push(plural(c.groupCount, "group", "groups"));
    counts.push("its SCIM token");
    ui.deleteCounts.textContent = counts.length > 1 ? `${counts.slice(0, -1).join(", ")} and ${counts.at(-1)}` : counts[0];
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
    renderFirstRun();
    const ids = viewIds(state.view);
    if (ids.includes(c.id)) navigate({ connection: ids.filter((id) => id !== c.id).join(","), page: 1 }, { replace: true });
    else refreshUsersIfShowing();
  }

  // --- Disable / enable ---

  function openToggle(c) {
    state.toggleTarget = c;
    const disabling = c.enabled !== false;
    ui.toggleTitle.textContent = disabling ? "Disable connection?" : "Enable connection?";
    ui.toggleDesc.replaceChildren(...(disabling
      ? ["SCIM requests from the identity provider behind ", h("strong", {}, c.name), " are refused (403) until you enable it again. Its ",
        typeof c.userCount === "number" ? plural(c.userCount, "user", "users") : "users", " and ",
        typeof c.groupCount === "number" ? plural(c.groupCount, "group", "groups") : "groups",
        " stay, marked in End Users as from a disabled connection."]
      : [h("strong", {}, c.name), " accepts SCIM requests with its token again."]));
    setButtonLabel(ui.toggleConfirm, disabling ? "Disable connection" : "Enable connection");
    ui.toggleConfirm.className = `btn ${disabling ? "btn-danger" : "btn-primary"}`;
    ui.toggleError.textContent = "";
    ui.toggleConfirm.disabled = false;
    ui.toggleCancel.disabled = false;
    ui.toggleDialog.showModal();
    ui.toggleCancel.focus();
  }

  async function onToggleSubmit(event) {
    event.preventDefault();
    const c = state.toggleTarget;
    if (!c) return;
    const enabled = c.enabled === false;
    ui.toggleError.textContent = "";
    setBusy(ui.toggleConfirm, true, enabled ? "Enabling…" : "Disabling…");
    ui.toggleCancel.disabled = true;
    try {
      const updated = await api("PATCH", `/connections/${enc(c.id)}`, { body: { enabled } });
      upsertConnection(updated);
      setBusy(ui.toggleConfirm, false);
      ui.toggleCancel.disabled = false;
      ui.toggleDialog.close();
      toast(updated.enabled === false ? `Disabled “${updated.name}”.` : `Enabled “${updated.name}”.`);
      refreshUsersIfShowing();
    } catch (err) {
      if (isHandled(err)) return;
      setBusy(ui.toggleConfirm, false);
      ui.toggleCancel.disabled = false;
      ui.toggleError.textContent = `Couldn't ${enabled ? "enable" : "disable"} the connection: ${err.message}`;
    }
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
    ui.activeFilter.addEventListener("change", () => navigate({ active: ui.activeFilter.value, page: 1 }));
    ui.duplicatesFilter.addEventListener("change", () => navigate({ duplicates: ui.duplicatesFilter.checked, page: 1 }));
    renderSortOptions();
    ui.sortSelect.addEventListener("change", () => {
      const [sort, order] = ui.sortSelect.value.split(":");
      navigate({ sort, order, page: 1 });
    });
    for (const th of ui.usersTable.querySelectorAll("th[data-sort]")) {
      th.querySelector("button").addEventListener("click", () => sortBy(th.dataset.sort));
    }
    ui.firstRunForm.addEventListener("submit", onFirstRunSubmit);
    ui.firstRunForm.addEventListener("change", (e) => {
      if (e.target.name === "first-run-idp") ui.firstRunName.placeholder = `Acme Corp - ${IDP_NAMES[firstRunIdp()]}`;
    });
    ui.chooseConnections.addEventListener("click", openChooser);
    ui.chooseForm.addEventListener("submit", onChooseSubmit);
    ui.chooseCancel.addEventListener("click", () => ui.chooseDialog.close());
    ui.userDrawerClose.addEventListener("click", () => ui.userDrawer.close());
    closeOnBackdrop(ui.userDrawer);
    for (const d of [ui.chooseDialog, ui.userDrawer]) {
      d.addEventListener("close", () => {
        if (d === ui.userDrawer && state.userAbort) state.userAbort.abort();
        const back = state.returnFocus;
        state.returnFocus = null;
        if (back && back.isConnected) requestAnimationFrame(() => back.focus());
      });
    }
    ui.toggleForm.addEventListener("submit", onToggleSubmit);
    ui.toggleCancel.addEventListener("click", () => ui.toggleDialog.close());
    ui.toggleDialog.addEventListener("close", () => {
      const c = state.toggleTarget;
      state.toggleTarget = null;
      if (c && ui.connectionsPanel.open) requestAnimationFrame(() => focusRowButton(c.id, "toggle-connection"));
    });
    ui.regenerateForm.addEventListener("change", renderRegenerateEffect);
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
