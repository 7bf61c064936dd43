// Following a job: its panel and URL, polling its status URL as Retry-After says, the progress
// bar, the rate and the time left, why it stalls, and cancelling it honestly. This module owns
// the job shown, its polling and the clock that updates its elapsed time.
import { $, finished, fmt, plural, stateLabel } from "./common.js";
import { api, errorMessage } from "./api.js";
import { confirmDialog } from "./confirm.js";
import { recentJobs, updateRecent } from "./recent.js";
import { duration, reasonOf } from "./recipients.js";
import { resetRecipients, showRecipientsOf } from "./recipients-table.js";

let following = 0; // incremented to stop the previous job's polling
let current = null; // the job shown: {jobId, job, samples, lastDone, lastProgressAt, retryCheckAt, announced}

/** The id of the job shown, or null. */
export function shownJobId() {
  return current ? current.jobId : null;
}

export function openJob(jobId, { focus = true } = {}) {
  const generation = ++following;
  if (location.hash !== "#job=" + encodeURIComponent(jobId)) {
    history.replaceState(null, "", "#job=" + encodeURIComponent(jobId)); // a job has a URL of its own
  }
  const known = recentJobs().find((j) => j.jobId === jobId);
  current = { jobId, job: null, samples: [], lastDone: -1, lastProgressAt: Date.now(), retryCheckAt: 0, announced: "" };
  $("job").hidden = false;
  $("job-heading").textContent = known && known.subject ? known.subject : "Job " + jobId.slice(0, 8);
  $("job-id").textContent = jobId;
  $("job-link").href = "#job=" + encodeURIComponent(jobId);
  $("job-error").textContent = "";
  $("job-retrying").hidden = true;
  $("job-cancel-note").hidden = true;
  resetRecipients(jobId);
  $("job-timing").textContent = "";
  render({ state: "PENDING", total: known ? known.total : 0, sent: 0, failed: 0, cancelled: 0, pending: known ? known.total : 0 });
  if (focus) {
    $("job").scrollIntoView({ block: "start" });
    $("job-heading").focus({ preventScroll: true });
  }
  poll(jobId, generation);
}

/** The job a #job=<id> URL names, or null. */
export function jobInUrl() {
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
  showRecipientsOf(job);
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

/** Every second, the elapsed time and the time left of the job shown, while it runs. */
export function startClock() {
  setInterval(() => { if (current && current.job && !current.job.finishedAt) renderTiming(current.job); }, 1000);
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

export async function cancelJob() {
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
