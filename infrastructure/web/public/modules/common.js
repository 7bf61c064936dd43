// What the page's modules share, with no state of its own: an element by id, numbers and counts
// as people read them, the words for a job's state and a recipient's status, and an address with
// line-break opportunities.

export const $ = (id) => document.getElementById(id);
const number = new Intl.NumberFormat();
export const fmt = (n) => number.format(n);
export const plural = (n, one, many) => fmt(n) + " " + (n === 1 ? one : many);

const STATE_LABELS = {
  PENDING: "Queued",
  IN_PROGRESS: "Sending",
  SUCCEEDED: "Sent",
  COMPLETED_WITH_FAILURES: "Finished with failures",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
};
export const STATUS_LABELS = { PENDING: "Being retried", SENT: "Sent", FAILED: "Failed", CANCELLED: "Cancelled" };

/** A job's state as people read it: a cancelled job is "Cancelling…" until nothing is pending. */
export function stateLabel(job) {
  if (job.state === "CANCELLED" && job.pending > 0) return "Cancelling…";
  return STATE_LABELS[job.state] || job.state;
}

export function finished(job) {
  return job.pending === 0 && job.state !== "PENDING" && job.state !== "IN_PROGRESS";
}

/** An address as text with line-break opportunities after "@" and dots, never inside a word. */
export function breakable(address) {
  const nodes = [];
  for (const part of String(address).split(/(?<=[@.])/)) {
    if (nodes.length) nodes.push(document.createElement("wbr"));
    nodes.push(document.createTextNode(part));
  }
  return nodes;
}
