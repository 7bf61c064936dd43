// The job's recipients: by status, page by page, exported as CSV or copied. This module owns the
// table's state (the job it lists, its latest reading, the status shown, the page and its cursors);
// job.js resets it when it opens a job and hands it each new reading.
import { $, STATUS_LABELS, breakable, fmt, plural } from "./common.js";
import { api, errorMessage } from "./api.js";
import { reasonOf, toCsv } from "./recipients.js";

const PAGE_SIZE = 20;
let jobId = null; // the job listed
let job = null; // its latest reading
let list = null; // {status, picked, cursors, page, shownCount}

/** A job was opened: its table starts hidden, on no status yet. */
export function resetRecipients(id) {
  jobId = id;
  job = null;
  list = { status: null, picked: false, cursors: [null], page: 0, shownCount: -1 };
  $("recipients").hidden = true;
  $("recipients-note").textContent = "";
}

function listCount(reading, status) {
  if (status === "FAILED") return reading.failed;
  if (status === "SENT") return reading.sent;
  if (status === "CANCELLED") return reading.cancelled;
  return null; // being retried, all attempted: not counted by the API
}

/** A new reading of the job: the table follows it. */
export function showRecipientsOf(reading) {
  job = reading;
  refreshList();
}

/** Loads the shown page again when its status's count changed (or on the first reading). */
function refreshList() {
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

export function pickStatus() {
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
  return "/emails/" + encodeURIComponent(jobId) + "/recipients?" + params;
}

async function loadRecipients() {
  const shown = list;
  const forJob = jobId;
  const r = await api(recipientsPath(shown.status, PAGE_SIZE, shown.cursors[shown.page]));
  if (r.status !== 200 || jobId !== forJob) return;
  const rows = $("recipients-rows");
  rows.replaceChildren();
  for (const item of r.body.items) rows.appendChild(recipientRow(item));
  shown.cursors[shown.page + 1] = r.body.nextCursor;
  const count = listCount(job, shown.status);
  const first = shown.page * PAGE_SIZE;
  const label = shown.status ? STATUS_LABELS[shown.status].toLowerCase() : "attempted";
  $("recipients-heading").textContent = "Recipients: " + label + (count === null ? "" : " (" + fmt(count) + ")");
  $("recipients-caption").textContent = "Recipients, " + label;
  $("recipients-range").textContent = r.body.items.length === 0 ? ""
    : fmt(first + 1) + "–" + fmt(first + r.body.items.length) + (count === null ? "" : " of " + fmt(count));
  $("recipients-pager").hidden = shown.page === 0 && !r.body.nextCursor; // one page: no pager
  $("recipients-prev").disabled = shown.page === 0;
  $("recipients-next").disabled = !r.body.nextCursor;
  $("recipients").hidden = false;
  if (r.body.items.length === 0 && shown.page === 0) {
    $("recipients-note").textContent = shown.status === "PENDING" ? "No recipient is being retried." : "None " + label + " yet.";
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

export function pageRecipients(step) {
  list.page = Math.max(0, list.page + step);
  loadRecipients();
}

/** Every recipient of the chosen status, page by page (1,000 at a time). */
async function allRecipients() {
  const items = [];
  let cursor = null;
  do {
    const r = await api(recipientsPath(list.status, 1000, cursor));
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

export async function exportCsv() {
  try {
    const items = await allRecipients();
    const rows = [["email", "status", "attempts", "category", "error", "retryable", "sentAt", "providerMessageId"],
      ...items.map((i) => [i.email, i.status, i.attempts, reasonOf(i.error).category, i.error, i.retryable === undefined ? "" : i.retryable, i.sentAt, i.providerMessageId])];
    const url = URL.createObjectURL(new Blob([toCsv(rows)], { type: "text/csv" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "mailbatch-" + jobId + "-" + (list.status || "all").toLowerCase() + ".csv";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    actionNote("Downloaded " + plural(items.length, "recipient", "recipients") + " as CSV.");
  } catch (e) {
    actionNote("Could not export: " + e.message);
  }
}

export async function copyAddresses() {
  try {
    const items = await allRecipients();
    await navigator.clipboard.writeText(items.map((i) => i.email).join("\n"));
    actionNote("Copied " + plural(items.length, "address", "addresses") + ".");
  } catch (e) {
    actionNote("Could not copy (" + e.message + "); use Download CSV instead.");
  }
}
