// /docs: starts Swagger UI (swagger-ui-bundle.js, loaded just before this file by templates/api_docs.html) on
// this server's OpenAPI document. A file, not an inline <script>, so the app's CSP (script-src 'self') holds.
"use strict";
(() => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis],
    validatorUrl: null, // no badge image from validator.swagger.io: nothing is fetched from elsewhere
  });
})();
