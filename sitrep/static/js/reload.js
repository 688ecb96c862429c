/* Preview only (python build.py serve): reload the page when the site was rebuilt.
   The server inserts this script into served pages; built sites never reference it. */
(function () {
  "use strict";
  var seen = null;
  function poll() {
    fetch("/__sitrep/version", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (s) {
      if (seen === null) { seen = s.version; } else if (s.version !== seen) { window.location.reload(); return; }
      window.setTimeout(poll, 700);
    }, function () { window.setTimeout(poll, 2000); });
  }
  poll();
}());
