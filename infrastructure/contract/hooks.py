"""schemathesis hooks for the local run (infrastructure/bin/contract).

The recipients listing's `cursor` is opaque: only a `nextCursor` the API gave is one, and any
other value is a 400 naming it, as docs/openapi.yaml says. A generated string can not be one, and
every phase would count that 400 as a valid request refused. So the parameter, and the link that
fills it (NextPage, whose `status` is absent from most requests), are left out of this run; the
ITs page with real cursors (PipelineIT, OwnershipIT) and check each page against the contract.

docs/openapi.yaml says `from` must be one of the deployment's senders; which ones is the
stack's configuration (ALLOWED_FROM, DEFAULT_FROM), not the document's. Here the run's own
senders are put into the schema as an enum before it is loaded, so that schemathesis's valid
requests use an allowed sender and its invalid ones any other: the check is exactly as strict as
the deployment.
"""
import os

import schemathesis


@schemathesis.hook
def before_load_schema(context, raw_schema):
    senders = [s for s in os.environ.get("MAILBATCH_SENDERS", "").split(",") if s]
    if not senders:
        raise RuntimeError("MAILBATCH_SENDERS: the run's DEFAULT_FROM and ALLOWED_FROM, comma-separated")
    sender = raw_schema["components"]["schemas"]["BatchRequest"]["properties"]["from"]
    sender["enum"] = senders + [None]
    listing = raw_schema["paths"]["/emails/{jobId}/recipients"]["get"]
    listing["parameters"] = [p for p in listing["parameters"] if p.get("name") != "cursor"]
    listing["responses"]["200"].pop("links", None)

