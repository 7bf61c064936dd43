// The local outbox (only where the local runner serves it): its counts, fault controls, search
// and paging, refreshed every 2 s. This module owns the outbox view and its timer.
import { $, breakable, fmt } from "./common.js";
import { api } from "./api.js";

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

/** Shows the outbox if the API's server has one (the local runner), and follows it from then on. */
export function startOutbox() {
  clearInterval(outboxTimer);
  refreshOutbox().then((local) => {
    if (local) outboxTimer = setInterval(refreshOutbox, 2000);
  });
}

export function searchOutbox(event) {
  event.preventDefault();
  outboxView.q = $("outbox-q").value.trim();
  outboxView.job = $("outbox-job").value.trim();
  outboxView.cursors = [null];
  refreshOutbox();
}

export function pageOutbox(older) {
  if (older) {
    const next = $("outbox-older").dataset.cursor;
    if (!next) return;
    outboxView.cursors.push(next);
  } else if (outboxView.cursors.length > 1) {
    outboxView.cursors.pop();
  }
  refreshOutbox();
}

export async function applySink(event) {
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

export async function clearOutbox() {
  await api("/_local/outbox", { method: "DELETE" });
  outboxView.cursors = [null];
  refreshOutbox();
}
