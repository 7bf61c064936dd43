// The send form: checked before anything is sent, confirmed, and submitted once. This module owns
// the form's Idempotency-Key and what it was made for.
import { $, fmt, plural } from "./common.js";
import { api, apiBase } from "./api.js";
import { confirmDialog } from "./confirm.js";
import { clearErrors, showApiError, showFieldErrors } from "./field-errors.js";
import { openJob } from "./job.js";
import { remember } from "./recent.js";
import { listed, recountNow } from "./recipients-field.js";
import { MAX_RECIPIENTS, checkAddress } from "./recipients.js";

// One Idempotency-Key per form content, kept until the form changes: sending the same batch again
// (after an error, a lost answer, or a success) reuses it, so the API answers with the job it
// made and makes no second one however often Send is pressed.
let lastKey = null;
let lastBody = null;
let lastJobId = null;

/** The next Send is a new batch whatever the form holds (another user signed in). */
export function forgetBatch() {
  lastBody = null;
}

/** What the form says is wrong before anything is sent, as {field: message}. */
function checkForm() {
  const errors = {};
  const { valid, invalid } = listed();
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

export async function submitBatch(event) {
  event.preventDefault();
  recountNow();
  clearErrors();
  const errors = checkForm();
  if (Object.keys(errors).length) {
    showFieldErrors(errors);
    return;
  }
  const recipients = listed();
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
