// Vigie console: the map of the incidents page, kept live. The page works without this
// file; it only draws the map and redraws it when the live stream says an incident changed.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  if (el.dataset.zones) { zonesMap(el); return; }
  // A maxZoom of its own: without tiles the map has none, and clustering needs one.
  var map = L.map(el, { minZoom: 4, maxZoom: 14 }).setView([15.5, -2.5], 5);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 14 }).addTo(map);
  }
  fetch(el.dataset.basemap, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (g) {
      L.geoJSON(g, {
        interactive: false,
        style: function (f) {
          var level = f.properties.level;
          return { color: "#6b6b66", weight: level === 1 ? 1.6 : 0.6, fill: false };
        }
      }).addTo(map);
    });
  var clusters = L.markerClusterGroup({ showCoverageOnHover: false });
  map.addLayer(clusters);
  var loading = false, again = false;

  function popup(p) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = "/console/incidents/" + encodeURIComponent(p.id);
    link.textContent = "#" + p.id + " " + p.category;
    box.appendChild(link);
    var place = document.createElement("div");
    place.textContent = p.place || "";
    box.appendChild(place);
    return box;
  }

  function load() {
    if (loading) { again = true; return; }
    loading = true;
    fetch(el.dataset.points, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (g) {
        clusters.clearLayers();
        L.geoJSON(g, {
          pointToLayer: function (f, at) {
            var s = f.properties.severity || 0;
            var size = 12 + 2 * s;
            var icon = L.divIcon({ className: "incident sev-" + s, iconSize: [size, size] });
            return L.marker(at, { icon: icon, title: "#" + f.properties.id + " " + f.properties.category });
          },
          onEachFeature: function (f, layer) { layer.bindPopup(popup(f.properties)); }
        }).eachLayer(function (layer) { clusters.addLayer(layer); });
        var count = document.getElementById("without-point");
        if (count) {
          count.textContent = String(g.without_point || 0);
          count.parentNode.hidden = false;
        }
      })
      .catch(function (e) { el.dataset.error = String(e); })
      .finally(function () {
        loading = false;
        if (again) { again = false; load(); }
      });
  }

  // Zones gone quiet: a dashed ring at each, under the incidents.
  if (el.dataset.silences) {
    fetch(el.dataset.silences, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (g) {
        L.geoJSON(g, {
          pointToLayer: function (f, at) {
            return L.circleMarker(at, { radius: 18, className: "silence", dashArray: "4 4" });
          },
          onEachFeature: function (f, layer) {
            var p = f.properties;
            var text = el.dataset.silence + ": " + p.zone + (p.cause ? " (" + p.cause + ")" : "");
            layer.bindTooltip(text);
          }
        }).addTo(map);
      })
      .catch(function (e) { el.dataset.error = String(e); });
  }

  load();
  document.body.addEventListener("htmx:sseMessage", function (e) {
    if (e.detail && e.detail.type === "incident") { load(); }
  });

  // The zones page: each zone's units, circles and polygons over the boundaries.
  function zonesMap(el) {
    var map = L.map(el, { minZoom: 4, maxZoom: 14 }).setView([15.5, -2.5], 5);
    fetch(el.dataset.basemap, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (g) {
        L.geoJSON(g, { interactive: false, style: { color: "#9a988f", weight: 0.6, fill: false } }).addTo(map);
      });
    fetch(el.dataset.zones, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (g) {
        var style = { color: "#8a2d0f", weight: 2, fillOpacity: 0.15 };
        var layer = L.geoJSON(g, {
          style: style,
          pointToLayer: function (f, at) {
            return L.circle(at, Object.assign({ radius: (f.properties.radius_km || 1) * 1000 }, style));
          },
          onEachFeature: function (f, shape) {
            var name = document.createElement("span");
            name.textContent = f.properties.zone;
            shape.bindTooltip(name);
          }
        }).addTo(map);
        if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { maxZoom: 9, animate: false }); }
      });
  }
})();
