// The API documentation page: the OpenAPI schema is only given to a caller with a valid token, so
// the page asks for one, fetches the schema with it and lets Swagger UI send it with every "Try it out".
(function () {
  "use strict";
  var form = document.getElementById("token-form");
  var status = document.getElementById("status");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var token = document.getElementById("token").value.trim();
    status.textContent = "";
    fetch("/openapi.json", { headers: { Authorization: "Bearer " + token } })
      .then(function (response) {
        if (!response.ok) { throw new Error("the token was refused (" + response.status + ")"); }
        return response.json();
      })
      .then(function (spec) {
        form.hidden = true;
        window.SwaggerUIBundle({
          spec: spec,
          dom_id: "#swagger-ui",
          requestInterceptor: function (request) {
            request.headers.Authorization = "Bearer " + token;
            return request;
          },
        });
      })
      .catch(function (error) { status.textContent = String(error.message || error); });
  });
})();
