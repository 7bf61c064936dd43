// Recent jobs: this browser's local storage, each signed-in user's own, listed with their state;
// the ones not known to be finished are read again on load, so none is listed stale.
import { $, finished, plural, stateLabel } from "./common.js";
import { api, token } from "./api.js";

const RECENT_KEY = "mailbatch.recentJobs";
let open = () => {};

/** What a click on a listed job does (opens it: job.js, which reads this list). */
export function onOpenRecent(callback) {
  open = callback;
}

function recentKey() {
  const who = token();
  return RECENT_KEY + "." + (who ? who.subject : "(signed out)");
}

export function recentJobs() {
  try { return JSON.parse(localStorage.getItem(recentKey())) || []; } catch { return []; }
}

function saveRecent(jobs) {
  localStorage.setItem(recentKey(), JSON.stringify(jobs));
  renderRecent();
}

export function remember(job) {
  saveRecent([job, ...recentJobs().filter((j) => j.jobId !== job.jobId)].slice(0, 20));
}

export function updateRecent(status) {
  const jobs = recentJobs();
  const job = jobs.find((j) => j.jobId === status.jobId);
  if (job && (job.state !== status.state || job.pending !== status.pending || (status.subject && job.subject !== status.subject))) {
    Object.assign(job, { state: status.state, pending: status.pending, sent: status.sent, failed: status.failed, cancelled: status.cancelled,
      subject: status.subject || job.subject });
    saveRecent(jobs);
  }
}

/** On load: the jobs not known to be finished are read again, so none is listed stale. */
export async function refreshRecent() {
  if (!token()) return;
  for (const job of recentJobs()) {
    if (job.state && finished({ state: job.state, pending: job.pending === undefined ? 1 : job.pending })) continue;
    const r = await api("/emails/" + encodeURIComponent(job.jobId)).catch(() => null);
    if (r && r.status === 200) updateRecent(r.body);
  }
}

export function renderRecent() {
  const list = $("recent-jobs");
  list.replaceChildren();
  const jobs = recentJobs();
  $("recent-empty").hidden = jobs.length > 0;
  for (const job of jobs) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = job.subject || "(no subject)";
    button.addEventListener("click", () => open(job.jobId));
    const state = job.state ? stateLabel({ state: job.state, pending: job.pending || 0 }) : "";
    li.append(button, document.createTextNode(" · " + plural(job.total, "recipient", "recipients")
      + (state ? " · " + state : "") + " · " + new Date(job.submittedAt).toLocaleString()));
    list.appendChild(li);
  }
}
