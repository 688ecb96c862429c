/* The events map: region shapes as the base layer (no tile server: the site works offline), events
   as clustered dots coloured by type, filters by type and date, regions shaded by the fatalities of
   the events shown. Data (sitrep/render_maps.py map_files): /map/index.json lists the years, each
   year's events are in their own file, and only the years the date range touches are fetched.
   Nothing from the data is ever inserted as HTML: popups are built with DOM nodes and textContent. */
(function () {
  "use strict";

  var el = document.getElementById("event-map");
  var status = document.getElementById("map-status");
  var form = document.getElementById("map-filters");
  var legendEl = document.getElementById("map-legend");
  if (!el || !form || !window.L || !window.fetch || !window.Promise) { return; }

  var SHADES = ["#f7f7f7", "#d9d9d9", "#b3b3b3", "#8a8a8a", "#5e5e5e"];  // greys: never mistaken for a type colour
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function say(text) { if (status) { status.textContent = text; } }

  function number(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f"); }  // as the site's |number

  function day(iso) { return +iso.slice(8, 10) + " " + MONTHS[+iso.slice(5, 7) - 1] + " " + iso.slice(0, 4); }

  function getJSON(url) {
    return fetch(url).then(function (r) {
      if (!r.ok) { throw new Error(r.status + " " + url); }
      return r.json();
    });
  }

  function niceMax(v) {
    if (v <= 1) { return 1; }
    var base = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) { if (steps[i] * base >= v) { return steps[i] * base; } }
    return 10 * base;
  }

  function toll(rec) {
    if (rec.l === undefined || rec.l === null) { return "no toll reported"; }
    var high = rec.h === undefined ? rec.l : rec.h;
    return (rec.l === high ? number(high) : number(rec.l) + "–" + number(high)) + " killed";
  }

  function node(tag, text, cls) {
    var n = document.createElement(tag);
    if (text !== undefined) { n.textContent = text; }
    if (cls) { n.className = cls; }
    return n;
  }

  // Until render.py writes the per-year files, data-index names the single legacy events.json
  // ({types, regions, events: rows}): split it here. Remove once the build writes index.json.
  function fromLegacy(doc, shapesUrl) {
    var byYear = {};
    doc.events.forEach(function (row) {
      var rec = { i: row[7], t: row[8], a: row[0], o: row[1], k: row[2], d: row[3], r: row[6] };
      if (row[4] !== null) { rec.l = row[4]; if (row[5] !== row[4]) { rec.h = row[5]; } }
      if (row[9] !== "published") { rec.s = row[9]; }
      var y = +row[3].slice(0, 4);
      (byYear[y] = byYear[y] || []).push(rec);
    });
    var years = Object.keys(byYear).map(Number).sort().map(function (y) {
      var recs = byYear[y];
      return { year: y, count: recs.length, first: recs[0].d, last: recs[recs.length - 1].d, events: recs };
    });
    var located = years.reduce(function (n, y) { return n + y.count; }, 0);
    return { types: doc.types, regions: doc.regions, years: years, located: located, unlocated: null,
             bounds: null, shapes: shapesUrl };
  }

  function loadIndex() {
    return getJSON(el.getAttribute("data-index")).then(function (doc) {
      return doc.years ? doc : fromLegacy(doc, el.getAttribute("data-shapes"));
    });
  }

  function popup(rec, index, eventUrl) {
    var box = node("div");
    var link = node("a", rec.t);
    link.href = eventUrl.replace("EVENT-ID", encodeURIComponent(rec.i));
    box.appendChild(node("p")).appendChild(link);
    box.appendChild(node("p", day(rec.d) + " · " + index.types[rec.k] + " · " + toll(rec)));
    if (rec.s) { box.appendChild(node("p", "Status: " + rec.s, "popup-status")); }
    return box;
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
      labels.push(hi === null ? number(limits[i]) + " or more"
        : (limits[i] === hi ? number(hi) : number(limits[i]) + "–" + number(hi)));
    }
    labels.forEach(function (text, i) {
      var item = node("span");
      item.appendChild(node("span", "", "swatch swatch-" + i));
      item.appendChild(document.createTextNode(" " + text));
      legendEl.appendChild(item);
    });
    legendEl.hidden = false;
  }

  function start(index, shapes) {
    var eventUrl = el.getAttribute("data-event-url");
    var colours = {};
    var counts = {};
    form.querySelectorAll("input[name=type]").forEach(function (box) {
      colours[box.value] = box.getAttribute("data-colour");
      counts[box.value] = box.parentNode.querySelector(".type-count");
    });
    var fromBox = form.elements.from, toBox = form.elements.to, yearBox = form.elements.year;
    var first = index.years.length ? index.years[0].first : "";
    var last = index.years.length ? index.years[index.years.length - 1].last : "";

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
          box.appendChild(node("p", number(t.events) + " events shown, " + number(t.deaths) +
            " killed (highest reported toll)"));
          return box;
        });
      }
    }).addTo(map);
    if (regionLayer.getBounds().isValid()) {
      map.fitBounds(regionLayer.getBounds());
    } else if (index.bounds) {
      map.fitBounds(index.bounds);
    } else {
      map.setView([0, 0], 3);
    }
    var clusters = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 45 });
    map.addLayer(clusters);

    // Each year's markers are made once, when its file first arrives, and kept for later filters.
    var loaded = {};
    function markersOf(year) {
      if (!loaded[year.year]) {
        var got = year.events ? Promise.resolve({ events: year.events }) : getJSON(year.url);
        loaded[year.year] = got.then(function (doc) {
          return doc.events.map(function (rec) {
            var m = L.circleMarker([rec.a, rec.o], {
              radius: 7, weight: 2, color: "#ffffff", fillColor: colours[rec.k] || "#555555", fillOpacity: 0.95
            });
            m.bindPopup(function () { return popup(rec, index, eventUrl); });
            m.rec = rec;
            return m;
          });
        }, function (err) { delete loaded[year.year]; throw err; });
      }
      return loaded[year.year];
    }

    if (yearBox) {
      index.years.slice().reverse().forEach(function (y) {
        yearBox.appendChild(node("option", y.year + " (" + number(y.count) + " events)")).value = String(y.year);
      });
      if (index.years.length > 1) {
        yearBox.appendChild(node("option", "All years (" + number(index.located) + " events)")).value = "all";
      }
      yearBox.closest("label").hidden = false;
    }

    // A year's range, clipped to the dates that have events: what the year menu puts in the date boxes.
    function yearFrom(y) { return y === "all" || y + "-01-01" < first ? first : y + "-01-01"; }
    function yearTo(y) { return y === "all" || y + "-12-31" > last ? last : y + "-12-31"; }

    // The menu names the year (or all years) whose events the dates take in, exactly; else "chosen dates".
    function syncYear(from, to) {
      if (!yearBox) { return; }
      var lo = from < first ? first : from, hi = to > last ? last : to;
      var picks = index.years.map(function (y) { return String(y.year); }).concat(["all"]);
      yearBox.value = picks.filter(function (y) { return yearFrom(y) === lo && yearTo(y) === hi; })[0] || "";
    }

    var pending = 0;
    function apply() {
      var on = {};
      form.querySelectorAll("input[name=type]").forEach(function (box) { on[box.value] = box.checked; });
      var from = fromBox.value || "0000-00-00";
      var to = toBox.value || "9999-99-99";
      syncYear(from, to);
      var years = index.years.filter(function (y) { return y.last >= from && y.first <= to; });
      var waiting = years.filter(function (y) { return !loaded[y.year]; });
      if (waiting.length) {
        say("Loading the events of " + waiting.map(function (y) { return y.year; }).join(", ") + "…");
      }
      var ticket = ++pending;
      Promise.all(years.map(markersOf)).then(function (lists) {
        if (ticket !== pending) { return; }  // the filters changed while the files loaded
        show(lists, on, from, to);
      }, function () {
        say("The events of the chosen dates could not be loaded; the table below lists the regions and their events.");
      });
    }

    function show(lists, on, from, to) {
      var inRange = [], byType = {};
      lists.forEach(function (list) {
        list.forEach(function (m) {
          var d = m.rec.d;
          if (d >= from && d <= to) {
            inRange.push(m);
            byType[m.rec.k] = (byType[m.rec.k] || 0) + 1;
          }
        });
      });
      var shown = inRange.filter(function (m) { return on[m.rec.k]; });
      Object.keys(counts).forEach(function (k) {
        if (counts[k]) { counts[k].textContent = "(" + number(byType[k] || 0) + ")"; }
      });
      clusters.clearLayers();
      clusters.addLayers(shown);
      totals = {};
      var max = 0;
      shown.forEach(function (m) {
        var r = m.rec;
        if (r.s) { return; }  // retracted and superseded events are drawn but never counted
        var id = index.regions[r.r];
        var t = totals[id] || (totals[id] = { events: 0, deaths: 0 });
        t.events += 1;
        t.deaths += (r.h === undefined ? r.l : r.h) || 0;
        if (t.deaths > max) { max = t.deaths; }
      });
      var limits = breaks(max);
      regionLayer.eachLayer(function (layer) {
        var t = totals[layer.feature.properties.id];
        layer.setStyle({ fillColor: SHADES[shadeOf(t ? t.deaths : 0, limits)] });
      });
      drawLegend(limits);
      if (!first) { say("No event has an exact location yet, so the map shows the regions only."); return; }
      var text = "Showing " + number(shown.length) + " of " + number(inRange.length) + " located events from " +
        day(from < first ? first : from) + " to " + day(to > last ? last : to);
      var outside = index.located - inRange.length;
      text += outside > 0 ? "; other dates hold " + number(outside) + " more. " : ". ";
      if (index.unlocated) {
        var one = index.unlocated === 1;
        text += "Across all dates, " + number(index.unlocated) + (one ? " event has" : " events have") +
          " no exact location and " + (one ? "is" : "are") + " not on the map. ";
      }
      say(text + "Select a dot or a cluster for details; the table below lists every region.");
    }

    if (yearBox) {
      yearBox.addEventListener("change", function () {
        var y = yearBox.value;
        if (!y) { return; }
        fromBox.value = yearFrom(y);
        toBox.value = yearTo(y);
      });
    }
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); apply(); });
    apply();
  }

  say("Loading the map…");
  Promise.all([loadIndex(), getJSON(el.getAttribute("data-shapes"))]).then(function (both) {
    start(both[0], both[1]);
  }, function () {
    say("The map data could not be loaded; the table below lists the regions and their events.");
  });
}());
