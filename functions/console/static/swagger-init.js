// Swagger UI for the API on this origin: its document at <stage>/openapi.json, read with the session
// cookie; a change tried out carries the session's CSRF token. No inline script: the page's policy forbids it.
(function () {
  "use strict";
  var at = location.pathname.indexOf("/console");
  var root = at >= 0 ? location.pathname.slice(0, at) : "";
  var csrf = null;
  document.getElementById("back").setAttribute("href", root + "/console/orders");
  var status = document.getElementById("swagger-status");

  function start() {
    window.ui = window.SwaggerUIBundle({
      url: root + "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,
      withCredentials: true,
      presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset].filter(Boolean),
      layout: "BaseLayout",
      requestInterceptor: function (request) {
        if (csrf && request.method && request.method.toUpperCase() !== "GET") request.headers["X-CSRF-Token"] = csrf;
        return request;
      },
    });
  }

  fetch(root + "/session", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (response.status === 401) {
        status.textContent = "Not signed in: sign in to the console first.";
        return null;
      }
      return response.json();
    })
    .then(function (session) {
      if (session) {
        csrf = session.csrf_token;
        status.textContent = "Signed in as " + (session.name || session.key_id) + " (" + session.role + ").";
      }
      start();
    })
    .catch(function () {
      start();
    });
})();
