// mailbatch's page: check a batch and confirm it, submit it once (one Idempotency-Key per form
// content), follow its progress by polling the status URL (honouring Retry-After) with the rate,
// the time left and what is being retried, cancel honestly, list and export recipients, remember
// recent jobs, and show the local run's outbox.
import { MAX_RECIPIENTS, checkAddress, readRecipients, readFile, reasonOf, duration, toCsv } from "./recipients.js";

const $ = (id) => document.getElementById(id);
const RECENT_KEY = "mailbatch.recentJobs";
const API_KEY = "mailbatch.apiBaseUrl";
const TOKEN_KEY = "mailbatch.token"; // session storage: gone with the tab
const PAGE_SIZE = 20;
const number = new Intl.NumberFormat();
const fmt = (n) => number.format(n);
const plural = (n, one, many) => fmt(n) + " " + (n === 1 ? one : many);

const STATE_LABELS = {
  PENDING: "Queued",
  IN_PROGRESS: "Sending",
  SUCCEEDED: "Sent",
  COMPLETED_WITH_FAILURES: "Finished with failures",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
};
const STATUS_LABELS = { PENDING: "Being retried", SENT: "Sent", FAILED: "Failed", CANCELLED: "Cancelled" };

/** A job's state as people read it: a cancelled job is "Cancelling…" until nothing is pending. */
function stateLabel(job) {
  if (job.state === "CANCELLED" && job.pending > 0) return "Cancelling…";
  return STATE_LABELS[job.state] || job.state;
}

function finished(job) {
  return job.pending === 0 && job.state !== "PENDING" && job.state !== "IN_PROGRESS";
}

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
  lastBody = null; // another user's batch is another batch: a new Idempotency-Key
  showAccount();
  renderRecent();
  refreshRecent();
  $("account").open = false;
  if (jobInUrl()) openJob(jobInUrl()); // a link opened before signing in: its job, now readable
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
    $("signin-name").focus();
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

function errorMessage(r) {
  return (r.body && r.body.error && r.body.error.message) || "The API answered " + r.status + ".";
}

// ---- settings: where the API is, checked before it is kept, applied without a reload ----

function saveSettings(event) {
  event.preventDefault();
  const input = $("api-base");
  const value = input.value.trim();
  $("settings-saved").textContent = "";
  if (value !== "") {
    let url = null;
    try { url = new URL(value); } catch { /* not a URL */ }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.search || url.hash) {
      $("api-base-error").textContent = "Enter the API's address, like https://abc123.execute-api.eu-west-1.amazonaws.com, or leave it empty.";
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
  }
  $("api-base-error").textContent = "";
  input.removeAttribute("aria-invalid");
  localStorage.setItem(API_KEY, value);
  input.value = apiBase();
  $("settings-saved").textContent = "Saved: the page calls " + (apiBase() || "the server of this page") + ".";
  showAccount();
  renderRecent();
  startOutbox();
}

// ---- recipients: what the list holds, checked as the API checks it ----

let recipients = readRecipients("");
let recountTimer = 0;

function recount() {
  recipients = readRecipients($("emails").value);
  const { valid, duplicates, invalid } = recipients;
  const parts = [valid.length === 0 && duplicates.length === 0 && invalid.length === 0
    ? "No recipients yet" : plural(valid.length, "recipient", "recipients")];
  if (duplicates.length) parts.push(plural(duplicates.length, "duplicate", "duplicates") + " left out");
  if (invalid.length) parts.push(plural(invalid.length, "entry is", "entries are") + " not an address");
  $("emails-count").textContent = parts.join(" · ");
  const list = $("emails-problem-list");
  list.replaceChildren();
  for (const bad of invalid.slice(0, 10)) {
    const li = document.createElement("li");
    li.textContent = "Line " + fmt(bad.line) + ": " + bad.raw + " — " + bad.error;
    list.appendChild(li);
  }
  if (invalid.length > 10) {
    const li = document.createElement("li");
    li.textContent = "and " + plural(invalid.length - 10, "more", "more");
    list.appendChild(li);
  }
  $("emails-problems").hidden = invalid.length === 0;
  if (invalid.length === 0 && $("emails").getAttribute("aria-invalid") === "true" && valid.length > 0 && valid.length <= MAX_RECIPIENTS) {
    setFieldError("emails", "");
  }
}

function scheduleRecount() {
  clearTimeout(recountTimer);
  recountTimer = setTimeout(recount, 120); // a paste of 10,000 lines is read once, not per keystroke
}

function removeInvalid() {
  recount();
  const keep = [...recipients.valid, ...recipients.duplicates].sort((a, b) => a.line - b.line).map((e) => e.raw);
  const removed = recipients.invalid.length;
  $("emails").value = keep.join("\n");
  recount();
  $("import-summary").textContent = "Removed " + plural(removed, "entry", "entries") + " that were not addresses.";
  $("emails").focus();
}

async function addFile() {
  const file = $("emails-file").files[0];
  if (!file) return;
  const read = readFile(await file.text());
  recount();
  const known = new Set(recipients.valid.map((v) => v.key));
  const fresh = [];
  let already = 0;
  for (const raw of read.addresses) {
    const one = readRecipients(raw);
    const key = one.valid.length ? one.valid[0].key : null;
    if (key && known.has(key)) { already++; continue; }
    if (key) known.add(key);
    fresh.push(asEntry(raw));
  }
  const current = $("emails").value.replace(/\s+$/, "");
  if (fresh.length) $("emails").value = (current ? current + "\n" : "") + fresh.join("\n");
  recount();
  const parts = [file.name + ": " + plural(read.rows, "row", "rows")
    + (read.column ? " (column \u201c" + read.column + "\u201d)" : ""), plural(fresh.length, "address", "addresses") + " added"];
  if (already) parts.push(plural(already, "was", "were") + " already in the list");
  if (read.skipped.length) {
    parts.push(plural(read.skipped.length, "row", "rows") + " skipped: " + read.skipped.slice(0, 5)
      .map((s) => "row " + s.row + " " + s.why).join("; ") + (read.skipped.length > 5 ? "; …" : ""));
  }
  $("import-summary").textContent = parts.join(" · ") + ".";
  $("emails-file").value = ""; // the same file may be chosen again: it adds nothing new
}

/** A file's cell as one entry of the list: a display name with a comma is quoted again. */
function asEntry(cell) {
  const m = /^(.*)<([^<>]*)>\s*$/s.exec(cell);
  if (!m) return cell;
  const name = m[1].trim().replace(/^"|"$/g, "").replace(/["\\]/g, "");
  return name ? '"' + name + '" <' + m[2].trim() + ">" : m[2].trim();
}

// ---- errors next to their fields ----

const FIELDS = ["emails", "from", "subject", "text", "html"];

function setFieldError(field, message) {
  const target = $(field + "-error");
  target.textContent = message;
  if (message) {
    $(field).setAttribute("aria-invalid", "true");
    if (field === "html") $("html-details").open = true;
  } else {
    $(field).removeAttribute("aria-invalid");
  }
}

function clearErrors() {
  for (const field of FIELDS) setFieldError(field, "");
  $("form-error").textContent = "";
}

/** Shows errors by field, says how many in the summary, and moves focus to the first. */
function showFieldErrors(errors, message) {
  for (const [field, text] of Object.entries(errors)) setFieldError(field, text);
  const first = FIELDS.find((f) => errors[f]);
  const count = Object.keys(errors).length;
  $("form-error").textContent = message
    || (count === 1 ? "Fix the field marked below, then send." : "Fix the " + count + " fields marked below, then send.");
  if (first) $(first).focus();
}

/** The API's error, each detail next to its field; "emails[3]" becomes the line and the address. */
function showApiError(error, sent) {
  const errors = {};
  const unplaced = [];
  for (const d of (error && error.details) || []) {
    const field = String(d.field || "").replace(/\[.*$/, "");
    const index = /^emails\[(\d+)\]$/.exec(d.field || "");
    let text = d.message;
    if (index && sent[Number(index[1])]) {
      const entry = sent[Number(index[1])];
      text = "Line " + fmt(entry.line) + " (" + entry.address + ") " + d.message;
    }
    if (FIELDS.includes(field)) errors[field] = (errors[field] ? errors[field] + " " : "") + text;
    else unplaced.push((d.field ? d.field + ": " : "") + d.message);
  }
  showFieldErrors(errors, [error && error.message, ...unplaced].filter(Boolean).join(" "));
}

/** What the form says is wrong before anything is sent, as {field: message}. */
function checkForm() {
  const errors = {};
  const { valid, invalid } = recipients;
  if (invalid.length) {
    errors.emails = plural(invalid.length, "entry is", "entries are") + " not an email address (listed above): fix or remove "
      + (invalid.length === 1 ? "it" : "them") + ".";
  } else if (valid.length === 0) {
    errors.emails = "Add at least one recipient.";
  } else if (valid.length > MAX_RECIPIENTS) {
    errors.emails = "At most " + fmt(MAX_RECIPIENTS) + " recipients in one batch; this list has " + fmt(valid.length) + ".";
  }
  const from = $("from").value.trim();
  if (from && checkAddress(from).error) errors.from = "Enter one email address, or leave it empty for the default sender.";
  const subject = $("subject").value;
  if (subject.trim() === "") errors.subject = "Enter a subject.";
  else if ([...subject].length > 998) errors.subject = "At most 998 characters; this one has " + fmt([...subject].length) + ".";
  if ($("text").value.trim() === "" && $("html").value.trim() === "") errors.text = "Write a text body (or an HTML body).";
  return errors;
}

// ---- confirming: a modal dialog, answered with its buttons or Escape ----

function confirmDialog({ title, lines, ok, back, danger = false }) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-body").replaceChildren(...lines.map((text) => {
    const p = document.createElement("p");
    p.textContent = text;
    return p;
  }));
  $("confirm-ok").textContent = ok;
  $("confirm-ok").className = danger ? "danger" : "primary";
  $("confirm-back").textContent = back;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
    $("confirm-ok").focus();
  });
}

// ---- submit ----

// One Idempotency-Key per form content, kept until the form changes: sending the same batch again
// (after an error, a lost answer, or a success) reuses it, so the API answers with the job it
// made and makes no second one however often Send is pressed.
let lastKey = null;
let lastBody = null;
let lastJobId = null;

async function submitBatch(event) {
  event.preventDefault();
  clearTimeout(recountTimer);
  recount();
  clearErrors();
  const errors = checkForm();
  if (Object.keys(errors).length) {
    showFieldErrors(errors);
    return;
  }
  const sent = recipients.valid;
  const batch = { emails: sent.map((v) => v.address), subject: $("subject").value };
  for (const field of ["from", "text", "html"]) {
    if ($(field).value.trim() !== "") batch[field] = $(field).value;
  }
  const body = JSON.stringify(batch);
  if (body !== lastBody) {
    lastBody = body;
    lastKey = crypto.randomUUID();
    lastJobId = null;
  }
  const n = sent.length;
  const confirmed = lastJobId
    ? await confirmDialog({ title: "This batch was sent already", ok: "Open its job", back: "Back to editing",
      lines: ["Nothing is sent again: the API answers with the job it made. Change the form to send a new batch."] })
    : await confirmDialog({ title: "Send \u201c" + batch.subject + "\u201d to " + plural(n, "recipient", "recipients") + "?",
      ok: "Send to " + plural(n, "recipient", "recipients"), back: "Back to editing",
      lines: ["From: " + (batch.from || "the server's default sender") + ".",
        ...(recipients.duplicates.length ? [plural(recipients.duplicates.length, "duplicate address is", "duplicate addresses are") + " left out."] : []),
        "The emails go out in the background; you can follow them here and cancel what is not sent yet."] });
  if (!confirmed) {
    $("submit").focus();
    return;
  }
  $("submit").disabled = true;
  $("submit-note").textContent = "Sending…";
  try {
    const r = await api("/emails", { method: "POST", headers: { "content-type": "application/json", "idempotency-key": lastKey }, body });
    if (r.status === 202) {
      lastJobId = r.body.jobId;
      remember({ jobId: r.body.jobId, subject: batch.subject, total: r.body.total, submittedAt: new Date().toISOString(), state: "PENDING", pending: r.body.total });
      openJob(r.body.jobId);
    } else if (r.status === 401) {
      $("form-error").textContent = "Sign in first (the account menu at the top).";
    } else {
      showApiError(r.body && r.body.error ? r.body.error : { message: "The API answered " + r.status + "." }, sent);
    }
  } catch (e) {
    $("form-error").textContent = "Could not reach the API at " + (apiBase() || location.origin) + ": " + e.message
      + ". Nothing was lost: press Send again to retry (the same batch is never sent twice).";
  } finally {
    $("submit").disabled = false;
    $("submit-note").textContent = "";
  }
}

// ---- following a job ----

let following = 0; // incremented to stop the previous job's polling
let current = null; // the job shown: {jobId, job, samples, lastProgressAt, retryCheckAt, list: {...}}

function openJob(jobId, { focus = true } = {}) {
  const generation = ++following;
  if (location.hash !== "#job=" + encodeURIComponent(jobId)) {
    history.replaceState(null, "", "#job=" + encodeURIComponent(jobId)); // a job has a URL of its own
  }
  const known = recentJobs().find((j) => j.jobId === jobId);
  current = { jobId, job: null, samples: [], lastDone: -1, lastProgressAt: Date.now(), retryCheckAt: 0, announced: "",
    list: { status: null, picked: false, cursors: [null], page: 0, shownCount: -1 } };
  $("job").hidden = false;
  $("job-heading").textContent = known && known.subject ? known.subject : "Job " + jobId.slice(0, 8);
  $("job-id").textContent = jobId;
  $("job-link").href = "#job=" + encodeURIComponent(jobId);
  $("job-error").textContent = "";
  $("job-retrying").hidden = true;
  $("job-cancel-note").hidden = true;
  $("recipients").hidden = true;
  $("recipients-note").textContent = "";
  $("job-timing").textContent = "";
  render({ state: "PENDING", total: known ? known.total : 0, sent: 0, failed: 0, cancelled: 0, pending: known ? known.total : 0 });
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
      observe(r.body);
      const retryAfter = r.headers.get("retry-after");
      if (retryAfter === null) return; // finished: the API stops asking to poll
      delaySeconds = Math.max(1, Number(retryAfter) || 1);
    } else if (r.status === 404) {
      $("job-error").textContent = "No such job: it may have expired, or it belongs to another account.";
      return;
    } else if (r.status === 401) {
      $("job-error").textContent = "Sign in to follow this job.";
      return;
    } else {
      $("job-error").textContent = errorMessage(r) + " Trying again.";
    }
  } catch (e) {
    $("job-error").textContent = "Could not reach the API (" + e.message + "); trying again.";
  }
  setTimeout(() => poll(jobId, generation), delaySeconds * 1000);
}

/** A new reading of the job: shown, remembered, and used for the rate and the stall check. */
function observe(job) {
  const now = Date.now();
  const done = job.sent + job.failed + job.cancelled;
  current.job = job;
  if (job.subject) $("job-heading").textContent = job.subject;
  if (done !== current.lastDone) {
    current.lastDone = done;
    current.lastProgressAt = now;
    $("job-retrying").hidden = true;
  }
  current.samples.push({ t: now, done: job.sent + job.failed });
  current.samples = current.samples.filter((s) => now - s.t <= 20000);
  render(job);
  updateRecent(job);
  refreshList();
  const stalled = now - current.lastProgressAt >= 4000;
  if (!finished(job) && job.state !== "CANCELLED" && stalled && now - current.retryCheckAt >= 5000) {
    current.retryCheckAt = now;
    explainStall(job.jobId);
  }
}

function render(job) {
  const total = job.total || 0;
  const pct = (n) => (total === 0 ? 0 : (100 * n) / total);
  const done = job.sent + job.failed + job.cancelled;
  const percent = total === 0 ? 0 : Math.floor(pct(done));
  for (const part of ["sent", "failed", "cancelled"]) {
    const segment = $("bar").querySelector("." + part);
    segment.style.width = pct(job[part]) + "%";
    segment.hidden = job[part] === 0;
    $("count-" + part).textContent = fmt(job[part]);
  }
  $("count-pending").textContent = fmt(job.pending);
  const bar = $("bar");
  bar.setAttribute("aria-valuenow", String(percent));
  bar.setAttribute("aria-valuetext", fmt(done) + " of " + fmt(total) + " done (" + percent + " %)");
  Object.assign($("job").dataset, { state: job.state, total, sent: job.sent, failed: job.failed, cancelled: job.cancelled, pending: job.pending });
  const label = stateLabel(job);
  $("job-state").textContent = label;
  $("job-state").className = "state " + job.state;
  $("job-counts").textContent = fmt(done) + " of " + plural(total, "recipient", "recipients") + " done (" + percent + " %)"
    + (job.reason ? ". " + job.reason.charAt(0).toUpperCase() + job.reason.slice(1) + "." : "");
  $("cancel").hidden = total === 0 || job.pending === 0 || job.state === "CANCELLED";
  const times = [];
  if (job.createdAt) times.push("submitted " + new Date(job.createdAt).toLocaleString());
  if (job.finishedAt) times.push("finished " + new Date(job.finishedAt).toLocaleString());
  $("job-times").textContent = times.join(", ");
  renderTiming(job);
  renderCancelNote(job);
  announce(job, label, percent);
}

/** Elapsed time, rate and time left while it runs; how long it took once finished. */
function renderTiming(job) {
  if (!job.createdAt) return;
  const created = Date.parse(job.createdAt);
  if (job.finishedAt) {
    const took = Date.parse(job.finishedAt) - created;
    const handled = job.sent + job.failed;
    $("job-timing").textContent = "Took " + duration(took)
      + (handled > 0 && took >= 1000 ? " (" + fmt(Math.round(handled / (took / 1000))) + " emails/s)" : "") + ".";
    return;
  }
  const parts = ["Elapsed " + duration(Date.now() - created)];
  const samples = current ? current.samples : [];
  if (samples.length >= 2 && job.state !== "CANCELLED") {
    const first = samples[0];
    const last = samples[samples.length - 1];
    const seconds = (last.t - first.t) / 1000;
    const rate = seconds >= 1.5 ? (last.done - first.done) / seconds : 0;
    if (rate > 0) {
      parts.push(fmt(Math.round(rate)) + " emails/s");
      parts.push("about " + duration((job.pending / rate) * 1000) + " left");
    } else if (seconds >= 1.5) {
      parts.push("no email finished in the last " + duration(seconds * 1000));
    }
  }
  $("job-timing").textContent = parts.join(" · ") + ".";
}

/** A cancel is honest: sends already under way may still go out, and are counted as sent. */
function renderCancelNote(job) {
  const note = $("job-cancel-note");
  if (job.state !== "CANCELLED") {
    note.hidden = true;
    return;
  }
  note.hidden = false;
  note.textContent = job.pending > 0
    ? "Cancelling: the workers are stopping, and " + plural(job.pending, "recipient is", "recipients are") + " not settled yet. Emails already handed to "
      + "the provider when you cancelled still go out and are counted as sent; the rest are never sent."
    : "Cancelled: " + plural(job.sent, "email was", "emails were") + " sent before the cancel took effect; "
      + plural(job.cancelled, "was", "were") + " never sent.";
}

/** The status region speaks on a change of state and at each quarter, not at every poll. */
function announce(job, label, percent) {
  if (!current || current.jobId !== job.jobId) return;
  const quarter = Math.floor(percent / 25) * 25;
  const text = finished(job)
    ? label + ": " + fmt(job.sent) + " sent, " + fmt(job.failed) + " failed" + (job.cancelled ? ", " + fmt(job.cancelled) + " cancelled" : "") + "."
    : label + ", " + quarter + " % done.";
  if (text !== current.announced) {
    current.announced = text;
    $("job-announce").textContent = text;
  }
}

/** No progress for a while: say whether recipients are being retried, and why. */
async function explainStall(jobId) {
  const r = await api("/emails/" + encodeURIComponent(jobId) + "/recipients?status=PENDING&limit=100").catch(() => null);
  if (!r || r.status !== 200 || !current || current.jobId !== jobId || finished(current.job)) return;
  const retrying = r.body.items.filter((i) => i.attempts > 0);
  const note = $("job-retrying");
  if (Date.now() - current.lastProgressAt < 4000) return;
  if (retrying.length === 0) {
    note.textContent = "Waiting: the remaining recipients are queued for a worker.";
  } else {
    const latest = reasonOf(retrying[retrying.length - 1].error);
    note.textContent = "Retrying " + (r.body.nextCursor ? "at least " : "") + plural(retrying.length, "recipient", "recipients")
      + " after a failed attempt (latest: " + latest.category + "). Each waits a little longer before its next try; "
      + "one that still fails after its last try is marked failed.";
  }
  note.hidden = false;
}

// ---- the job's recipients: by status, page by page, exported as CSV or copied ----

function listCount(job, status) {
  if (status === "FAILED") return job.failed;
  if (status === "SENT") return job.sent;
  if (status === "CANCELLED") return job.cancelled;
  return null; // being retried, all attempted: not counted by the API
}

/** Loads the shown page again when its status's count changed (or on the first reading). */
function refreshList() {
  const { job, list } = current;
  if (!list.picked) {
    const wanted = job.failed > 0 ? "FAILED" : job.sent > 0 ? "SENT" : job.cancelled > 0 ? "CANCELLED" : null;
    if (wanted && wanted !== list.status) {
      list.status = wanted;
      list.cursors = [null];
      list.page = 0;
      list.shownCount = -1;
      $("recipients-status").value = wanted;
    }
  }
  if (list.status === null) return;
  const count = listCount(job, list.status);
  const marker = count === null ? job.sent + job.failed + job.cancelled : count;
  if (marker !== list.shownCount) {
    list.shownCount = marker;
    loadRecipients();
  }
}

function pickStatus() {
  const list = current.list;
  list.picked = true;
  list.status = $("recipients-status").value;
  list.cursors = [null];
  list.page = 0;
  list.shownCount = -1;
  $("recipients-note").textContent = "";
  refreshList();
}

function recipientsPath(status, limit, cursor) {
  const params = new URLSearchParams({ limit: String(limit) });
  if (status) params.set("status", status);
  if (cursor) params.set("cursor", cursor);
  return "/emails/" + encodeURIComponent(current.jobId) + "/recipients?" + params;
}

async function loadRecipients() {
  const { list, jobId } = current;
  const r = await api(recipientsPath(list.status, PAGE_SIZE, list.cursors[list.page]));
  if (r.status !== 200 || !current || current.jobId !== jobId) return;
  const rows = $("recipients-rows");
  rows.replaceChildren();
  for (const item of r.body.items) rows.appendChild(recipientRow(item));
  list.cursors[list.page + 1] = r.body.nextCursor;
  const count = listCount(current.job, list.status);
  const first = list.page * PAGE_SIZE;
  const label = list.status ? STATUS_LABELS[list.status].toLowerCase() : "attempted";
  $("recipients-heading").textContent = "Recipients: " + label + (count === null ? "" : " (" + fmt(count) + ")");
  $("recipients-caption").textContent = "Recipients, " + label;
  $("recipients-range").textContent = r.body.items.length === 0 ? ""
    : fmt(first + 1) + "–" + fmt(first + r.body.items.length) + (count === null ? "" : " of " + fmt(count));
  $("recipients-pager").hidden = list.page === 0 && !r.body.nextCursor; // one page: no pager
  $("recipients-prev").disabled = list.page === 0;
  $("recipients-next").disabled = !r.body.nextCursor;
  $("recipients").hidden = false;
  if (r.body.items.length === 0 && list.page === 0) {
    $("recipients-note").textContent = list.status === "PENDING" ? "No recipient is being retried." : "None " + label + " yet.";
  } else if ($("recipients-note").dataset.kind !== "action") {
    $("recipients-note").textContent = "";
  }
}

function recipientRow(item) {
  const tr = document.createElement("tr");
  const reason = reasonOf(item.error);
  const cells = [
    ["Address", item.email],
    ["Status", STATUS_LABELS[item.status] || item.status],
    ["Outcome", null],
    ["Retried by a redrive", item.status === "FAILED" ? (item.retryable ? "Yes" : "No") : "—"],
    ["Attempts", fmt(item.attempts)],
  ];
  for (const [label, value] of cells) {
    const td = document.createElement("td");
    td.dataset.label = label;
    if (label === "Address") {
      td.className = "address";
      td.append(...breakable(value));
    } else if (value !== null) {
      td.textContent = value;
    } else if (item.status === "SENT") {
      td.textContent = item.sentAt ? "Accepted " + new Date(item.sentAt).toLocaleString() : "Accepted";
    } else if (reason.category) {
      const category = document.createElement("span");
      category.className = "reason-category";
      category.textContent = reason.category;
      const detail = document.createElement("span");
      detail.className = "reason-detail";
      detail.textContent = reason.detail;
      const both = document.createElement("div");
      both.append(category, detail);
      td.append(both);
    } else {
      td.textContent = "—";
    }
    tr.appendChild(td);
  }
  return tr;
}

/** An address as text with line-break opportunities after "@" and dots, never inside a word. */
function breakable(address) {
  const nodes = [];
  for (const part of String(address).split(/(?<=[@.])/)) {
    if (nodes.length) nodes.push(document.createElement("wbr"));
    nodes.push(document.createTextNode(part));
  }
  return nodes;
}

function pageRecipients(step) {
  current.list.page = Math.max(0, current.list.page + step);
  loadRecipients();
}

/** Every recipient of the chosen status, page by page (1,000 at a time). */
async function allRecipients() {
  const items = [];
  let cursor = null;
  do {
    const r = await api(recipientsPath(current.list.status, 1000, cursor));
    if (r.status !== 200) throw new Error(errorMessage(r));
    items.push(...r.body.items);
    cursor = r.body.nextCursor;
  } while (cursor);
  return items;
}

function actionNote(text) {
  $("recipients-note").dataset.kind = "action";
  $("recipients-note").textContent = text;
}

async function exportCsv() {
  try {
    const items = await allRecipients();
    const rows = [["email", "status", "attempts", "category", "error", "retryable", "sentAt", "providerMessageId"],
      ...items.map((i) => [i.email, i.status, i.attempts, reasonOf(i.error).category, i.error, i.retryable === undefined ? "" : i.retryable, i.sentAt, i.providerMessageId])];
    const url = URL.createObjectURL(new Blob([toCsv(rows)], { type: "text/csv" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "mailbatch-" + current.jobId + "-" + (current.list.status || "all").toLowerCase() + ".csv";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    actionNote("Downloaded " + plural(items.length, "recipient", "recipients") + " as CSV.");
  } catch (e) {
    actionNote("Could not export: " + e.message);
  }
}

async function copyAddresses() {
  try {
    const items = await allRecipients();
    await navigator.clipboard.writeText(items.map((i) => i.email).join("\n"));
    actionNote("Copied " + plural(items.length, "address", "addresses") + ".");
  } catch (e) {
    actionNote("Could not copy (" + e.message + "); use Download CSV instead.");
  }
}

// ---- cancelling ----

async function cancelJob() {
  const { jobId, job } = current;
  const confirmed = await confirmDialog({
    title: "Cancel \u201c" + $("job-heading").textContent + "\u201d?",
    lines: [plural(job.pending, "recipient has", "recipients have") + " not been sent yet; they will not be.",
      "Emails already handed to the provider can not be recalled: they still go out and are counted as sent."],
    ok: "Cancel unsent emails", back: "Keep sending", danger: true });
  if (!confirmed) {
    $("cancel").focus();
    return;
  }
  $("cancel").disabled = true;
  try {
    const r = await api("/emails/" + encodeURIComponent(jobId), { method: "DELETE" });
    if (r.status === 202) {
      if (current.jobId !== jobId) return; // another job was opened meanwhile
      observe(r.body);
      $("job-heading").focus();
    } else if (r.status === 409) {
      $("job-error").textContent = "The job had already finished: nothing was left to cancel.";
    } else {
      $("job-error").textContent = errorMessage(r);
    }
  } catch (e) {
    $("job-error").textContent = "Could not reach the API (" + e.message + "); the job was not cancelled.";
  } finally {
    $("cancel").disabled = false;
  }
}

// ---- recent jobs (this browser's local storage, each signed-in user's own) ----

function recentKey() {
  const who = token();
  return RECENT_KEY + "." + (who ? who.subject : "(signed out)");
}

function recentJobs() {
  try { return JSON.parse(localStorage.getItem(recentKey())) || []; } catch { return []; }
}

function saveRecent(jobs) {
  localStorage.setItem(recentKey(), JSON.stringify(jobs));
  renderRecent();
}

function remember(job) {
  saveRecent([job, ...recentJobs().filter((j) => j.jobId !== job.jobId)].slice(0, 20));
}

function updateRecent(status) {
  const jobs = recentJobs();
  const job = jobs.find((j) => j.jobId === status.jobId);
  if (job && (job.state !== status.state || job.pending !== status.pending || (status.subject && job.subject !== status.subject))) {
    Object.assign(job, { state: status.state, pending: status.pending, sent: status.sent, failed: status.failed, cancelled: status.cancelled,
      subject: status.subject || job.subject });
    saveRecent(jobs);
  }
}

/** On load: the jobs not known to be finished are read again, so none is listed stale. */
async function refreshRecent() {
  if (!token()) return;
  for (const job of recentJobs()) {
    if (job.state && finished({ state: job.state, pending: job.pending === undefined ? 1 : job.pending })) continue;
    const r = await api("/emails/" + encodeURIComponent(job.jobId)).catch(() => null);
    if (r && r.status === 200) updateRecent(r.body);
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
    button.textContent = job.subject || "(no subject)";
    button.addEventListener("click", () => openJob(job.jobId));
    const state = job.state ? stateLabel({ state: job.state, pending: job.pending || 0 }) : "";
    li.append(button, document.createTextNode(" · " + plural(job.total, "recipient", "recipients")
      + (state ? " · " + state : "") + " · " + new Date(job.submittedAt).toLocaleString()));
    list.appendChild(li);
  }
}

// ---- the local outbox (only where the local runner serves it) ----

// The outbox view: a search (recipient or subject, and a job), and a page of it. Its cursors
// stack up as one pages to older emails; the first page (no cursor) follows new emails live.
const outboxView = { q: "", job: "", cursors: [null], size: 20 };
let outboxTimer = 0;

async function refreshOutbox() {
  try {
    const params = new URLSearchParams({ limit: String(outboxView.size) });
    if (outboxView.q) params.set("q", outboxView.q);
    if (outboxView.job) params.set("job", outboxView.job);
    const cursor = outboxView.cursors[outboxView.cursors.length - 1];
    if (cursor) params.set("cursor", cursor);
    const r = await api("/_local/outbox?" + params);
    if (r.status !== 200 || !r.body || !r.body.sink) {
      $("outbox").hidden = true;
      return false;
    }
    $("outbox").hidden = false;
    const o = r.body;
    $("outbox-counts").textContent = fmt(o.emails) + " emails accepted · " + fmt(o.deliveries) + " deliveries · "
      + fmt(o.duplicateDeliveries) + " duplicate deliveries (same Idempotency-Key) · " + fmt(o.injectedFailures) + " injected failures · "
      + fmt(o.lostResponses) + " lost answers" + (o.held ? " · " + fmt(o.held) + " held" : "");
    const first = (outboxView.cursors.length - 1) * outboxView.size;
    const filtered = outboxView.q || outboxView.job;
    $("outbox-matching").textContent = o.items.length === 0
      ? (filtered ? "No email matches." : "No email yet.")
      : "Emails " + fmt(first + 1) + "–" + fmt(first + o.items.length) + " of " + fmt(o.matching)
        + (filtered ? " matching" : "") + ", newest first";
    const rows = $("outbox-rows");
    rows.replaceChildren();
    for (const item of o.items) {
      const tr = document.createElement("tr");
      const cells = [["To", item.to], ["Subject", item.subject], ["Job", item.jobId || ""], ["Idempotency-Key", item.idempotencyKey || ""],
        ["Accepted", new Date(item.acceptedAt).toLocaleTimeString()]];
      for (const [label, value] of cells) {
        const td = document.createElement("td");
        td.dataset.label = label;
        if (label === "To") { td.className = "address"; td.append(...breakable(value)); }
        else td.textContent = value;
        if (label === "Accepted") td.className = "nowrap";
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
      $("sink-hold").checked = o.sink.hold;
    }
    return true;
  } catch {
    $("outbox").hidden = true;
    return false;
  }
}

function startOutbox() {
  clearInterval(outboxTimer);
  refreshOutbox().then((local) => {
    if (local) outboxTimer = setInterval(refreshOutbox, 2000);
  });
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
    failureStatus: Number($("sink-status").value), lossRate: Number($("sink-loss").value), hold: $("sink-hold").checked };
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
  $("settings-form").addEventListener("submit", saveSettings);
  $("emails").addEventListener("input", scheduleRecount);
  $("emails-file").addEventListener("change", addFile);
  $("remove-invalid").addEventListener("click", removeInvalid);
  $("batch-form").addEventListener("submit", submitBatch);
  for (const field of ["from", "subject", "text", "html"]) {
    $(field).addEventListener("input", () => { if ($(field).getAttribute("aria-invalid")) setFieldError(field, ""); });
  }
  $("recipients-status").addEventListener("change", pickStatus);
  $("recipients-next").addEventListener("click", () => pageRecipients(1));
  $("recipients-prev").addEventListener("click", () => pageRecipients(-1));
  $("export-csv").addEventListener("click", exportCsv);
  $("copy-addresses").addEventListener("click", copyAddresses);
  $("cancel").addEventListener("click", cancelJob);
  $("sink-form").addEventListener("submit", applySink);
  $("outbox-clear").addEventListener("click", clearOutbox);
  $("outbox-search").addEventListener("submit", searchOutbox);
  $("outbox-newer").addEventListener("click", () => pageOutbox(false));
  $("outbox-older").addEventListener("click", () => pageOutbox(true));
  setInterval(() => { if (current && current.job && !current.job.finishedAt) renderTiming(current.job); }, 1000);
  renderRecent();
  refreshRecent();
  recount();
  startOutbox();
  const linked = jobInUrl();
  if (linked) openJob(linked); // a shared or reloaded #job=<id> URL opens its job
  window.addEventListener("hashchange", () => {
    const id = jobInUrl();
    if (id && (!current || id !== current.jobId)) openJob(id);
  });
}

start();
