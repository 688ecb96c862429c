/* Preview only (python build.py serve): reload the page when the site was rebuilt.
   The server inserts this script into served pages; built sites never reference it.
   A page in view asks every 250 ms (the wait after a rebuild averages half of that, beside the
   build's seconds); a page in a background tab every 2 s. Not a held-open request: a browser
   opens at most 6 connections to one host, so a few open tabs would stall every other request. */
(function () {
  "use strict";
  var seen = null;
  function later() {
    window.setTimeout(poll, document.visibilityState === "hidden" ? 2000 : 250);
  }
  function poll() {
    fetch("/__sitrep/version", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (s) {
      if (seen === null) { seen = s.version; } else if (s.version !== seen) { window.location.reload(); return; }
      later();
    }, function () { window.setTimeout(poll, 2000); });
  }
  poll();
}());
