"use strict";
// mailbatch's page: submit a batch, follow its progress by polling the status URL (honouring
// Retry-After), list failed recipients, remember recent jobs, show the local outbox.

const $ = (id) => document.getElementById(id);
const RECENT_KEY = "mailbatch.recentJobs";
const API_KEY = "mailbatch.apiBaseUrl";
const TOKEN_KEY = "mailbatch.token"; // session storage: gone with the tab
const FAILURES_PAGE = 10;

function apiBase() {
  const saved = localStorage.getItem(API_KEY);
  const base = saved !== null ? saved : (window.MAILBATCH_CONFIG && window.MAILBATCH_CONFIG.apiBaseUrl) || "";
  return base.replace(/\/+$/, "");
}

// ---- signing in: a bearer token for the API (the local run mints one; a deployed stack's comes
// from its identity provider) ----

function token() {
  const value = sessionStorage.getItem(TOKEN_KEY);
  const claims = value && claimsOf(value);
  if (!claims || (claims.exp && claims.exp * 1000 <= Date.now())) {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
  return { value, subject: String(claims.sub) };
}

function claimsOf(jwt) {
  try {
    const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload));
  } catch {
    return null;
  }
}

function signedIn(value) {
  if (!claimsOf(value) || !claimsOf(value).sub) {
    $("signin-error").textContent = "That is not a token this page can use (a JWT with a subject).";
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, value);
  showAccount();
  renderRecent();
  $("account").open = false;
}

function showAccount() {
  const who = token();
  $("account-summary").textContent = who ? "Signed in as " + who.subject : "Sign in";
  $("signout").hidden = !who;
  $("signin-local").hidden = !!who || apiBase() !== "";
  $("signin-token").hidden = !!who;
  $("signin-error").textContent = "";
}

async function signInLocally(event) {
  event.preventDefault();
  const name = $("signin-name").value.trim();
  if (!name) {
    $("signin-error").textContent = "Enter a name.";
    return;
  }
  const r = await fetch("/_local/token", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ sub: name }) }).catch(() => null);
  const body = r && await r.json().catch(() => null);
  if (!r || r.status !== 200 || !body) {
    $("signin-error").textContent = (body && body.error) || "The local run gave no token.";
    return;
  }
  signedIn(body.access_token);
}

async function api(path, options) {
  const who = token();
  const headers = { ...((options && options.headers) || {}) };
  if (who) headers.authorization = "Bearer " + who.value;
  const response = await fetch(apiBase() + path, { ...options, headers });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showAccount();
    $("account").open = true;
    $("signin-error").textContent = "Sign in to use the API (the token is missing, expired or not accepted).";
  }
  let body = null;
  const text = await response.text();
  if (text) {
    try { body = JSON.parse(text); } catch { body = { message: text }; }
  }
  return { status: response.status, headers: response.headers, body };
}

// ---- recipients: textarea and file upload ----

function parseRecipients(text) {
  return text.split(/[\n\r,;]+/).map((s) => s.trim()).filter((s) => s.length > 0);
}

// A CSV's "email" (or "e-mail", "address") column when it has a header naming one; otherwise
// every cell that looks like an address. A plain list (one per line) works the same way.
function addressesFromFile(text) {
  const rows = text.split(/\r?\n/).filter((r) => r.trim().length > 0).map(csvCells);
  if (rows.length === 0) return [];
  const header = rows[0].map((c) => c.toLowerCase());
  const column = header.findIndex((c) => c === "email" || c === "e-mail" || c === "address" || c === "email address");
  if (column >= 0) return rows.slice(1).map((r) => r[column] || "").filter((c) => c.length > 0);
  return rows.flat().filter((c) => c.includes("@"));
}

// One CSV line's cells, split on commas, semicolons or tabs outside double quotes ("" is a quote).
function csvCells(line) {
  const cells = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === "," || c === ";" || c === "\t") { cells.push(cell.trim()); cell = ""; }
    else cell += c;
  }
  cells.push(cell.trim());
  return cells;
}

function updateCount() {
  const n = parseRecipients($("emails").value).length;
  $("emails-count").textContent = n + (n === 1 ? " recipient" : " recipients");
}

// ---- submit ----

function clearErrors() {
  document.querySelectorAll(".field-error, .form-error").forEach((e) => { e.textContent = ""; });
}

// Puts each error detail next to its field: "emails[3]" belongs to the recipients.
function showErrors(error) {
  const details = (error && error.details) || [];
  const unplaced = [];
  for (const d of details) {
    const field = String(d.field || "").replace(/\[.*$/, "");
    const target = document.querySelector('.field-error[data-field="' + field + '"]');
    if (target) {
      target.textContent += (target.textContent ? " " : "") + (d.field !== field ? d.field + ": " : "") + d.message;
    } else {
      unplaced.push((d.field ? d.field + ": " : "") + d.message);
    }
  }
  $("form-error").textContent = [error && error.message, ...unplaced].filter(Boolean).join(" ");
}

// One Idempotency-Key per form content, kept until the form changes: sending the same batch again
// (after an error, a lost answer, or a success) reuses it, so the API answers with the job it
// made and makes no second one however often Send is pressed.
let lastKey = null;
let lastBody = null;

async function submitBatch(event) {
  event.preventDefault();
  clearErrors();
  const batch = { emails: parseRecipients($("emails").value), subject: $("subject").value };
  for (const field of ["from", "text", "html"]) {
    if ($(field).value.trim() !== "") batch[field] = $(field).value;
  }
  const body = JSON.stringify(batch);
  if (body !== lastBody) {
    lastBody = body;
    lastKey = crypto.randomUUID();
  }
  $("submit").disabled = true;
  try {
    const r = await api("/emails", { method: "POST", headers: { "content-type": "application/json", "idempotency-key": lastKey }, body });
    if (r.status === 202) {
      remember({ jobId: r.body.jobId, subject: batch.subject, total: r.body.total, submittedAt: new Date().toISOString() });
      openJob(r.body.jobId);
    } else {
      showErrors(r.body && r.body.error ? r.body.error : { message: "The API answered " + r.status + "." });
    }
  } catch (e) {
    $("form-error").textContent = "Could not reach the API at " + (apiBase() || location.origin) + ": " + e.message;
  } finally {
    $("submit").disabled = false;
  }
}

// ---- following a job ----

let following = 0; // incremented to stop the previous job's polling
let failureCursors = [null];
let failurePage = 0;
let shownFailed = -1;

function openJob(jobId, { focus = true } = {}) {
  const generation = ++following;
  if (location.hash !== "#job=" + encodeURIComponent(jobId)) {
    history.replaceState(null, "", "#job=" + encodeURIComponent(jobId)); // a job has a URL of its own
  }
  failureCursors = [null];
  failurePage = 0;
  shownFailed = -1;
  $("job").hidden = false;
  $("job-id").textContent = jobId;
  $("job-error").textContent = "";
  $("failures").hidden = true;
  render({ state: "PENDING", total: 0, sent: 0, failed: 0, cancelled: 0, pending: 0 });
  if (focus) {
    $("job").scrollIntoView({ block: "start" });
    $("job-heading").focus({ preventScroll: true });
  }
  poll(jobId, generation);
}

/** The job a #job=<id> URL names, or null. */
function jobInUrl() {
  const m = /^#job=([^&]+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

async function poll(jobId, generation) {
  if (generation !== following) return;
  let delaySeconds = 5;
  try {
    const r = await api("/emails/" + encodeURIComponent(jobId));
    if (generation !== following) return;
    if (r.status === 200) {
      $("job-error").textContent = "";
      render(r.body);
      updateRecent(jobId, r.body.state);
      if (r.body.failed !== shownFailed) {
        shownFailed = r.body.failed;
        loadFailures(jobId);
      }
      const retryAfter = r.headers.get("retry-after");
      if (retryAfter === null) return; // finished: the API stops asking to poll
      delaySeconds = Math.max(1, Number(retryAfter) || 1);
    } else if (r.status === 404) {
      $("job-error").textContent = "No such job (it may have expired).";
      return;
    } else {
      $("job-error").textContent = (r.body && r.body.error && r.body.error.message) || "The API answered " + r.status + "; trying again.";
    }
  } catch (e) {
    $("job-error").textContent = "Could not reach the API (" + e.message + "); trying again.";
  }
  setTimeout(() => poll(jobId, generation), delaySeconds * 1000);
}

function render(job) {
  const total = job.total || 0;
  const cancelled = job.cancelled || 0;
  const pct = (n) => (total === 0 ? 0 : (100 * n) / total);
  const done = total === 0 ? 0 : Math.floor(pct(job.sent + job.failed + cancelled));
  $("bar").querySelector(".sent").style.width = pct(job.sent) + "%";
  $("bar").querySelector(".failed").style.width = pct(job.failed) + "%";
  $("bar").querySelector(".cancelled").style.width = pct(cancelled) + "%";
  $("bar").setAttribute("aria-valuenow", String(done));
  $("job-state").textContent = job.state;
  $("job-state").className = "state " + job.state;
  $("job-counts").textContent = "sent " + job.sent + " · failed " + job.failed
    + (cancelled > 0 || job.state === "CANCELLED" ? " · cancelled " + cancelled : "")
    + " · pending " + job.pending + " of " + total + " (" + done + " %)"
    + (job.reason ? " — " + job.reason : "");
  $("cancel").hidden = total === 0 || job.pending === 0 || job.state === "CANCELLED";
  const times = [];
  if (job.createdAt) times.push("submitted " + new Date(job.createdAt).toLocaleString());
  if (job.finishedAt) times.push("finished " + new Date(job.finishedAt).toLocaleString());
  $("job-times").textContent = times.join(", ");
}

async function loadFailures(jobId) {
  const cursor = failureCursors[failurePage];
  const query = "?status=FAILED&limit=" + FAILURES_PAGE + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
  const r = await api("/emails/" + encodeURIComponent(jobId) + "/recipients" + query);
  if (r.status !== 200) return;
  const rows = $("failures-rows");
  rows.replaceChildren();
  for (const item of r.body.items) {
    const tr = document.createElement("tr");
    for (const value of [item.email, item.error || "", String(item.attempts)]) {
      const td = document.createElement("td");
      td.textContent = value;
      tr.appendChild(td);
    }
    rows.appendChild(tr);
  }
  $("failures").hidden = r.body.items.length === 0 && failurePage === 0;
  failureCursors[failurePage + 1] = r.body.nextCursor;
  $("failures-next").disabled = !r.body.nextCursor;
  $("failures-prev").disabled = failurePage === 0;
}

async function cancelJob() {
  const jobId = $("job-id").textContent;
  $("cancel").disabled = true;
  try {
    const r = await api("/emails/" + encodeURIComponent(jobId), { method: "DELETE" });
    if (r.status === 202) {
      render(r.body);
      updateRecent(jobId, r.body.state);
    } else {
      $("job-error").textContent = (r.body && r.body.error && r.body.error.message) || "The API answered " + r.status + ".";
    }
  } catch (e) {
    $("job-error").textContent = "Could not reach the API (" + e.message + ").";
  } finally {
    $("cancel").disabled = false;
  }
}

function pageFailures(step) {
  failurePage = Math.max(0, failurePage + step);
  loadFailures($("job-id").textContent);
}

// ---- recent jobs (this browser's local storage) ----

/** Recent jobs are each user's own: kept under the signed-in subject. */
function recentKey() {
  const who = token();
  return RECENT_KEY + "." + (who ? who.subject : "(signed out)");
}

function recentJobs() {
  try { return JSON.parse(localStorage.getItem(recentKey())) || []; } catch { return []; }
}

function remember(job) {
  const jobs = [job, ...recentJobs().filter((j) => j.jobId !== job.jobId)].slice(0, 20);
  localStorage.setItem(recentKey(), JSON.stringify(jobs));
  renderRecent();
}

function updateRecent(jobId, state) {
  const jobs = recentJobs();
  const job = jobs.find((j) => j.jobId === jobId);
  if (job && job.state !== state) {
    job.state = state;
    localStorage.setItem(recentKey(), JSON.stringify(jobs));
    renderRecent();
  }
}

function renderRecent() {
  const list = $("recent-jobs");
  list.replaceChildren();
  const jobs = recentJobs();
  $("recent-empty").hidden = jobs.length > 0;
  for (const job of jobs) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = (job.subject || "(no subject)") + " — " + job.total + " recipients";
    button.addEventListener("click", () => openJob(job.jobId));
    li.appendChild(button);
    li.appendChild(document.createTextNode(" " + new Date(job.submittedAt).toLocaleString() + (job.state ? " · " + job.state : "")));
    list.appendChild(li);
  }
}

// ---- the local outbox (only where the local runner serves it) ----

// The outbox view: a search (recipient or subject, and a job), and a page of it. Its cursors
// stack up as one pages to older emails; the first page (no cursor) follows new emails live.
const outboxView = { q: "", job: "", cursors: [null], size: 20 };

async function refreshOutbox() {
  try {
    const params = new URLSearchParams({ limit: String(outboxView.size) });
    if (outboxView.q) params.set("q", outboxView.q);
    if (outboxView.job) params.set("job", outboxView.job);
    const cursor = outboxView.cursors[outboxView.cursors.length - 1];
    if (cursor) params.set("cursor", cursor);
    const r = await api("/_local/outbox?" + params);
    if (r.status !== 200) return false;
    $("outbox").hidden = false;
    const o = r.body;
    $("outbox-counts").textContent = o.emails + " emails accepted · " + o.deliveries + " deliveries · "
      + o.duplicateDeliveries + " duplicate deliveries (same Idempotency-Key) · " + o.injectedFailures + " injected failures · "
      + o.lostResponses + " lost answers";
    const first = (outboxView.cursors.length - 1) * outboxView.size;
    const filtered = outboxView.q || outboxView.job;
    $("outbox-matching").textContent = o.items.length === 0
      ? (filtered ? "No email matches." : "No email yet.")
      : "Emails " + (first + 1) + "–" + (first + o.items.length) + " of " + o.matching
        + (filtered ? " matching" : "") + ", newest first";
    const rows = $("outbox-rows");
    rows.replaceChildren();
    for (const item of o.items) {
      const tr = document.createElement("tr");
      for (const value of [item.to, item.subject, item.jobId || "", item.idempotencyKey || "", new Date(item.acceptedAt).toLocaleTimeString()]) {
        const td = document.createElement("td");
        td.textContent = value;
        tr.appendChild(td);
      }
      rows.appendChild(tr);
    }
    $("outbox-newer").disabled = outboxView.cursors.length === 1;
    $("outbox-older").disabled = !o.nextCursor;
    $("outbox-older").dataset.cursor = o.nextCursor || "";
    if (document.activeElement === null || !$("sink-form").contains(document.activeElement)) {
      $("sink-latency").value = o.sink.latencyMs;
      $("sink-rate").value = o.sink.failureRate;
      $("sink-status").value = o.sink.failureStatus;
      $("sink-loss").value = o.sink.lossRate;
    }
    return true;
  } catch {
    return false;
  }
}

function searchOutbox(event) {
  event.preventDefault();
  outboxView.q = $("outbox-q").value.trim();
  outboxView.job = $("outbox-job").value.trim();
  outboxView.cursors = [null];
  refreshOutbox();
}

function pageOutbox(older) {
  if (older) {
    const next = $("outbox-older").dataset.cursor;
    if (!next) return;
    outboxView.cursors.push(next);
  } else if (outboxView.cursors.length > 1) {
    outboxView.cursors.pop();
  }
  refreshOutbox();
}

async function applySink(event) {
  event.preventDefault();
  $("sink-error").textContent = "";
  const change = { latencyMs: Number($("sink-latency").value), failureRate: Number($("sink-rate").value),
    failureStatus: Number($("sink-status").value), lossRate: Number($("sink-loss").value) };
  const r = await api("/_local/sink", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(change) });
  if (r.status !== 200) {
    $("sink-error").textContent = (r.body && r.body.error) || "The outbox answered " + r.status;
  } else {
    $("sink-form").dataset.applied = JSON.stringify(r.body);
  }
  refreshOutbox();
}

async function clearOutbox() {
  await api("/_local/outbox", { method: "DELETE" });
  outboxView.cursors = [null];
  refreshOutbox();
}

// ---- start ----

function start() {
  $("api-base").value = apiBase();
  showAccount();
  $("signin-local").addEventListener("submit", signInLocally);
  $("signin-token").addEventListener("submit", (event) => {
    event.preventDefault();
    signedIn($("signin-token-value").value.trim().replace(/^Bearer\s+/i, ""));
  });
  $("signout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showAccount();
    renderRecent();
  });
  $("save-settings").addEventListener("click", () => {
    localStorage.setItem(API_KEY, $("api-base").value.trim());
    location.reload();
  });
  $("emails").addEventListener("input", updateCount);
  $("emails-file").addEventListener("change", async () => {
    const file = $("emails-file").files[0];
    if (!file) return;
    const addresses = addressesFromFile(await file.text());
    const current = $("emails").value.trim();
    $("emails").value = (current ? current + "\n" : "") + addresses.join("\n");
    updateCount();
  });
  $("batch-form").addEventListener("submit", submitBatch);
  $("failures-next").addEventListener("click", () => pageFailures(1));
  $("failures-prev").addEventListener("click", () => pageFailures(-1));
  $("cancel").addEventListener("click", cancelJob);
  $("sink-form").addEventListener("submit", applySink);
  $("outbox-clear").addEventListener("click", clearOutbox);
  $("outbox-search").addEventListener("submit", searchOutbox);
  $("outbox-newer").addEventListener("click", () => pageOutbox(false));
  $("outbox-older").addEventListener("click", () => pageOutbox(true));
  renderRecent();
  updateCount();
  refreshOutbox().then((local) => {
    if (local) setInterval(refreshOutbox, 2000);
  });
  const linked = jobInUrl();
  if (linked) openJob(linked); // a shared or reloaded #job=<id> URL opens its job
  window.addEventListener("hashchange", () => {
    const id = jobInUrl();
    if (id && id !== $("job-id").textContent) openJob(id);
  });
}

start();
