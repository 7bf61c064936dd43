// Where the page finds the mailbatch API. Empty: the same origin that serves this page (the
// local runner). For a deployed stack, set it to the stack's ApiUrl output, e.g.
// "https://abc123.execute-api.eu-west-1.amazonaws.com", and allow this page's origin with the
// template's CorsAllowOrigin parameter. The page's Settings can override it per browser.
window.MAILBATCH_CONFIG = { apiBaseUrl: "" };
