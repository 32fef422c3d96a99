// Live tiles: one EventSource; the server sends the HTML of tiles that changed.
(function () {
  "use strict";
  var tiles = document.getElementById("tiles");
  var status = document.getElementById("live-status");
  if (!tiles || !window.EventSource) { if (status) { status.textContent = "Live updates: not supported by this browser (reload to update)."; } return; }
  var version = tiles.getAttribute("data-version");
  var source = null;
  function url() { return tiles.getAttribute("data-events").replace(/since=\d+/, "since=" + version); }
  function connect() {
    source = new EventSource(url());
    source.addEventListener("hello", function () { status.textContent = "Live updates: on"; });
    source.addEventListener("tiles", function (e) {
      version = e.lastEventId || version;
      var changed = JSON.parse(e.data);
      Object.keys(changed).forEach(function (name) {
        var old = document.getElementById("tile-" + name);
        if (!old) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = changed[name];
        var fresh = holder.firstElementChild;
        if (fresh) { old.replaceWith(fresh); }
      });
      tiles.setAttribute("data-version", version);
    });
    source.addEventListener("banner", function (e) {
      var banner = document.getElementById("banner");
      if (banner) { banner.innerHTML = JSON.parse(e.data); }
    });
    source.addEventListener("order", function (e) {
      JSON.parse(e.data).forEach(function (name) {
        var tile = document.getElementById("tile-" + name);
        if (tile) { tiles.appendChild(tile); }
      });
    });
    source.onerror = function () { status.textContent = "Live updates: reconnecting…"; };
  }
  connect();
  window.addEventListener("pagehide", function () { if (source) { source.close(); } });
}());
