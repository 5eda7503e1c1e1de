// The site header collapses behind a "Menu" button on narrow screens (static/css/app.css).
// Without this script the menu simply stays open: nothing is hidden from anyone.
(function () {
  "use strict";
  var header = document.querySelector("header.site-header");
  if (!header) { return; }
  var button = header.querySelector("[data-menu-toggle]");
  var menu = document.getElementById("site-menu");
  if (!button || !menu) { return; }
  header.classList.add("collapsible");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = header.classList.toggle("menu-open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
