/* The events map: region shapes as the base layer (no tile server: the site works offline), events
   as clustered dots coloured by type, filters by type and date, regions shaded by the fatalities of
   the events shown. Data: the two JSON files named by data- attributes of #event-map.
   Nothing from the data is ever inserted as HTML: popups are built with DOM nodes and textContent. */
(function () {
  "use strict";

  var el = document.getElementById("event-map");
  var status = document.getElementById("map-status");
  var form = document.getElementById("map-filters");
  var legendEl = document.getElementById("map-legend");
  if (!el || !window.L || !window.fetch) { return; }

  // Row layout written by sitrep/render_archive.py map_data(): keep in step with it.
  var LAT = 0, LON = 1, TYPE = 2, DATE = 3, LOW = 4, HIGH = 5, REGION = 6, ID = 7, TITLE = 8, STATUS = 9;
  var SHADES = ["#f7f7f7", "#d9d9d9", "#b3b3b3", "#8a8a8a", "#5e5e5e"];  // greys: never mistaken for a type colour

  function say(text) { if (status) { status.textContent = text; } }

  function niceMax(v) {
    if (v <= 1) { return 1; }
    var base = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) { if (steps[i] * base >= v) { return steps[i] * base; } }
    return 10 * base;
  }

  function toll(low, high) {
    if (low === null || low === undefined) { return "no toll reported"; }
    return (low === high ? String(high) : low + "–" + high) + " killed";
  }

  function node(tag, text, cls) {
    var n = document.createElement(tag);
    if (text !== undefined) { n.textContent = text; }
    if (cls) { n.className = cls; }
    return n;
  }

  function typeColours() {
    var colours = {};
    form.querySelectorAll("input[name=type]").forEach(function (box) {
      colours[box.value] = box.getAttribute("data-colour");
    });
    return colours;
  }

  function popup(row, data, eventUrl) {
    var box = node("div");
    var link = node("a", row[TITLE]);
    link.href = eventUrl.replace("EVENT-ID", encodeURIComponent(row[ID]));
    box.appendChild(node("p")).appendChild(link);
    var facts = row[DATE] + " · " + data.types[row[TYPE]] + " · " + toll(row[LOW], row[HIGH]);
    box.appendChild(node("p", facts));
    if (row[STATUS] !== "published") { box.appendChild(node("p", "Status: " + row[STATUS], "popup-status")); }
    return box;
  }

  function makeMarkers(data, colours, eventUrl) {
    return data.events.map(function (row) {
      var m = L.circleMarker([row[LAT], row[LON]], {
        radius: 7, weight: 2, color: "#ffffff", fillColor: colours[row[TYPE]] || "#555555", fillOpacity: 0.95
      });
      m.bindPopup(function () { return popup(row, data, eventUrl); });
      m.row = row;
      return m;
    });
  }

  function breaks(max) {
    var top = niceMax(max);
    return [1, Math.max(2, Math.round(top / 10)), Math.max(3, Math.round(top / 4)), Math.max(4, Math.round(top / 2))];
  }

  function shadeOf(value, limits) {
    if (!value) { return 0; }
    var i = 1;
    while (i < limits.length && value >= limits[i]) { i++; }
    return i;
  }

  function drawLegend(limits) {
    legendEl.textContent = "";
    legendEl.appendChild(node("span", "Regions by fatalities of the events shown (highest reported toll):"));
    var labels = ["none"];
    for (var i = 0; i < limits.length; i++) {
      var hi = i + 1 < limits.length ? limits[i + 1] - 1 : null;
      labels.push(hi === null ? limits[i] + " or more" : (limits[i] === hi ? String(hi) : limits[i] + "–" + hi));
    }
    labels.forEach(function (text, i) {
      var item = node("span");
      item.appendChild(node("span", "", "swatch swatch-" + i));
      item.appendChild(document.createTextNode(" " + text));
      legendEl.appendChild(item);
    });
    legendEl.hidden = false;
  }

  function start(data, shapes) {
    var colours = typeColours();
    var map = L.map(el, { zoomSnap: 0.25, minZoom: 3, maxZoom: 14, attributionControl: true });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Shapes: Natural Earth");
    var totals = {};
    var regionLayer = L.geoJSON(shapes, {
      style: function () { return { color: "#6b6b6b", weight: 1, fillColor: SHADES[0], fillOpacity: 0.85 }; },
      onEachFeature: function (feature, layer) {
        layer.bindPopup(function () {
          var box = node("div");
          var p = feature.properties;
          var name = node(p.url ? "a" : "strong", p.name);
          if (p.url) { name.href = p.url; }
          box.appendChild(node("p")).appendChild(name);
          var t = totals[p.id] || { events: 0, deaths: 0 };
          box.appendChild(node("p", t.events + " events shown, " + t.deaths + " killed (highest reported toll)"));
          return box;
        });
      }
    }).addTo(map);
    if (regionLayer.getBounds().isValid()) { map.fitBounds(regionLayer.getBounds()); } else { map.setView([0, 0], 3); }

    var markers = makeMarkers(data, colours, el.getAttribute("data-event-url"));
    var clusters = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 45 });
    map.addLayer(clusters);

    function apply() {
      var on = {};
      form.querySelectorAll("input[name=type]").forEach(function (box) { on[box.value] = box.checked; });
      var from = form.elements.from.value || "0000-00-00";
      var to = form.elements.to.value || "9999-99-99";
      var shown = markers.filter(function (m) {
        var r = m.row;
        return on[r[TYPE]] && r[DATE] >= from && r[DATE] <= to;
      });
      clusters.clearLayers();
      clusters.addLayers(shown);
      totals = {};
      var max = 0;
      shown.forEach(function (m) {
        var r = m.row;
        if (r[STATUS] !== "published") { return; }
        var id = data.regions[r[REGION]];
        var t = totals[id] || (totals[id] = { events: 0, deaths: 0 });
        t.events += 1;
        t.deaths += r[HIGH] || 0;
        if (t.deaths > max) { max = t.deaths; }
      });
      var limits = breaks(max);
      regionLayer.eachLayer(function (layer) {
        var t = totals[layer.feature.properties.id];
        layer.setStyle({ fillColor: SHADES[shadeOf(t ? t.deaths : 0, limits)] });
      });
      drawLegend(limits);
      say("Showing " + shown.length + " of " + markers.length + " located events. " +
          "Select a dot or a cluster for details; the table below lists every region.");
    }

    form.addEventListener("change", apply);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); apply(); });
    apply();
  }

  say("Loading the map…");
  Promise.all([
    fetch(el.getAttribute("data-events")).then(function (r) { return r.json(); }),
    fetch(el.getAttribute("data-shapes")).then(function (r) { return r.json(); })
  ]).then(function (both) { start(both[0], both[1]); }, function () {
    say("The map data could not be loaded; the table below lists the regions and their events.");
  });
}());
