// mailbatch's page: check a batch and confirm it, submit it once (one Idempotency-Key per form
// content), follow its progress by polling the status URL (honouring Retry-After) with the rate,
// the time left and what is being retried, cancel honestly, list and export recipients, remember
// recent jobs, and show the local run's outbox.
//
// This entry only wires the modules to the page and to each other; each owns its part:
//   common.js            $, numbers and labels (no state)
//   api.js               the API client, its base URL and the signed-in token
//   signin.js            the account menu: signing in and out
//   settings.js          the API's base URL, checked and applied
//   recipients-field.js  the form's Recipients: counted, checked, cleaned, added from a file
//   field-errors.js      errors next to their fields
//   form.js              checking, confirming and sending a batch (its Idempotency-Key)
//   confirm.js           the modal confirmation dialog
//   job.js               the job shown: polling, progress, timing, stalls, cancelling
//   recipients-table.js  the job's recipients by status, paged, exported, copied
//   recent.js            recent jobs in this browser
//   outbox.js            the local run's outbox
//   recipients.js        addresses, files, reasons, durations, CSV (no DOM; tested on its own)
import { $ } from "./modules/common.js";
import { onUnauthorized } from "./modules/api.js";
import { setFieldError } from "./modules/field-errors.js";
import { submitBatch } from "./modules/form.js";
import { cancelJob, jobInUrl, openJob, shownJobId, startClock } from "./modules/job.js";
import { applySink, clearOutbox, pageOutbox, searchOutbox, startOutbox } from "./modules/outbox.js";
import { onOpenRecent, refreshRecent, renderRecent } from "./modules/recent.js";
import { addFile, recount, removeInvalid, scheduleRecount } from "./modules/recipients-field.js";
import { copyAddresses, exportCsv, pageRecipients, pickStatus } from "./modules/recipients-table.js";
import { saveSettings, showSettings } from "./modules/settings.js";
import { askToSignIn, showAccount, signInLocally, signInWithToken, signOut } from "./modules/signin.js";

function start() {
  onUnauthorized(askToSignIn);
  onOpenRecent(openJob);
  showSettings();
  showAccount();
  $("signin-local").addEventListener("submit", signInLocally);
  $("signin-token").addEventListener("submit", signInWithToken);
  $("signout").addEventListener("click", signOut);
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
  startClock();
  renderRecent();
  refreshRecent();
  recount();
  startOutbox();
  const linked = jobInUrl();
  if (linked) openJob(linked); // a shared or reloaded #job=<id> URL opens its job
  window.addEventListener("hashchange", () => {
    const id = jobInUrl();
    if (id && id !== shownJobId()) openJob(id);
  });
}

start();
