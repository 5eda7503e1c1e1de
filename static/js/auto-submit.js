// A <select data-auto-submit> submits its form when changed (the schedule's "Due within").
// A static file, not an inline handler: the site's Content-Security-Policy blocks those.
// Without this script the form's "Show" button does the same.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field instanceof HTMLSelectElement && field.hasAttribute("data-auto-submit") && field.form) {
      field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
    }
  });
})();
