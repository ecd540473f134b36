// /redoc: starts ReDoc (redoc.standalone.js, loaded just before this file by templates/api_docs.html) on this
// server's OpenAPI document. A file, not an inline <script>, so the app's CSP (script-src 'self') holds.
"use strict";
(() => {
  const root = document.getElementById("redoc");
  Redoc.init(root.dataset.openapiUrl, {}, root);
})();
