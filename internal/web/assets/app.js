// dutywatch dashboard: the one page script.
//
// Rules this file keeps (the Content-Security-Policy enforces the first):
//   - No inline script or style. Page data arrives in
//     <script type="application/json" id="page-data">, parsed with JSON.parse.
//   - Every value in the data is attacker-controlled text (finding types,
//     domains, cities, principals, ...). It never reaches innerHTML. ECharts
//     renders tooltips as HTML, so every tooltip has a formatter that
//     escapes each value with esc(). Labels drawn on the canvas are not
//     HTML; their formatters only shorten the text (label()).
//   - Tooltip markers use CSS classes, never style attributes (which the
//     policy would block).
(function () {
  "use strict";

  var ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;", "=": "&#61;" };

  // esc makes any value safe to place in HTML text or a quoted attribute.
  function esc(v) {
    return String(v === null || v === undefined ? "" : v).replace(/[&<>"'`=]/g, function (c) {
      return ESC[c];
    });
  }

  // label shortens a value drawn on the canvas (axis, legend, pie label).
  function label(v, n) {
    var s = String(v === null || v === undefined ? "" : v);
    n = n || 28;
    return s.length > n ? s.slice(0, n - 1) + "\u2026" : s;
  }

  function num(n) {
    return Number(n || 0).toLocaleString("en-US");
  }

  var root = getComputedStyle(document.documentElement);
  function cssVar(name) {
    return root.getPropertyValue(name).trim();
  }
  var PALETTE = [];
  for (var i = 0; i < 10; i++) PALETTE.push(cssVar("--p" + i));
  var BAND = { low: cssVar("--low"), medium: cssVar("--medium"), high: cssVar("--high"), critical: cssVar("--critical") };
  var TEXT = cssVar("--text"), MUTED = cssVar("--muted"), LINE = cssVar("--line"), PANEL = cssVar("--panel");

  // marker is a coloured dot for a tooltip line: a band or a palette slot.
  function marker(band, index) {
    var cls = band && BAND[band] ? "mk-" + band : "mk-p" + (index % PALETTE.length);
    return '<i class="mk ' + cls + '"></i>';
  }

  function tip(title, lines) {
    var h = '<div class="tt"><div class="tt-title">' + esc(title) + "</div>";
    lines.forEach(function (l) {
      h += '<div class="tt-line">' + (l.mark || "") + '<span class="tt-k">' + esc(l.k) + '</span><b class="tt-v">' +
        esc(l.v) + "</b></div>";
    });
    return h + "</div>";
  }

  function baseTooltip(extra) {
    var t = {
      confine: true, className: "dw-tooltip", backgroundColor: PANEL, borderColor: LINE,
      textStyle: { color: TEXT }, extraCssText: "",
    };
    for (var k in extra) t[k] = extra[k];
    return t;
  }

  var charts = [];
  // rendered holds one promise per chart, settled when ECharts reports
  // the chart finished drawing (animations included); the page is marked
  // ready after all of them.
  var rendered = [];

  // mount draws option into #id, or writes the element's data-empty text
  // (textContent, never HTML) when there is nothing to draw.
  function mount(id, option, isEmpty) {
    var el = document.getElementById(id);
    if (!el) return null;
    if (isEmpty) {
      el.classList.add("is-empty");
      el.textContent = el.getAttribute("data-empty") || "No data";
      return null;
    }
    var c = echarts.init(el, null, { renderer: "canvas" });
    rendered.push(new Promise(function (resolve) { c.on("finished", resolve); }));
    var base = {
      backgroundColor: "transparent", color: PALETTE, animationDuration: 400,
      textStyle: { color: TEXT, fontFamily: cssVar("--font") },
    };
    for (var k in option) base[k] = option[k];
    c.setOption(base);
    charts.push(c);
    return c;
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });

  // go opens the alerts page (or another path) with the current time range
  // plus params.
  function go(path, params) {
    var here = new URLSearchParams(location.search);
    var u = new URL(path, location.origin);
    ["range", "from", "to"].forEach(function (k) {
      if (here.get(k)) u.searchParams.set(k, here.get(k));
    });
    for (var k in params) u.searchParams.set(k, params[k]);
    location.assign(u.href);
  }

  function bucketLabel(iso, step) {
    var d = new Date(iso);
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    var day = d.getUTCFullYear() + "-" + p(d.getUTCMonth() + 1) + "-" + p(d.getUTCDate());
    return step >= 86400 ? day : day + " " + p(d.getUTCHours()) + ":" + p(d.getUTCMinutes());
  }

  function seriesEmpty(s) {
    return !s || !s.series || !s.buckets || s.buckets.length === 0 || s.series.every(function (l) {
      return l.values.every(function (v) { return !v; });
    });
  }

  var axisStyle = {
    axisLine: { lineStyle: { color: LINE } }, axisTick: { show: false },
    axisLabel: { color: MUTED, hideOverlap: true }, splitLine: { lineStyle: { color: LINE, type: "dashed" } },
  };
  function axis(extra) {
    var a = {};
    for (var k in axisStyle) a[k] = axisStyle[k];
    for (var j in extra) a[j] = extra[j];
    return a;
  }

  // stacked draws a Series (buckets × labelled lines) as stacked bars.
  function stacked(id, s, bands, onClick) {
    if (seriesEmpty(s)) return mount(id, null, true);
    var cats = s.buckets.map(function (b) { return bucketLabel(b, s.step_seconds); });
    var c = mount(id, {
      grid: { left: 44, right: 16, top: 36, bottom: 28 },
      legend: {
        type: "scroll", top: 0, textStyle: { color: MUTED }, pageTextStyle: { color: MUTED },
        formatter: function (n) { return label(n, 26); },
      },
      tooltip: baseTooltip({
        trigger: "axis", axisPointer: { type: "shadow" },
        formatter: function (ps) {
          var lines = [], total = 0;
          ps.forEach(function (p) {
            if (!p.value) return;
            total += p.value;
            lines.push({ mark: marker(bands ? p.seriesName : null, p.seriesIndex), k: p.seriesName, v: num(p.value) });
          });
          lines.reverse();
          lines.push({ k: "Total", v: num(total) });
          return tip(ps.length ? ps[0].axisValue : "", lines);
        },
      }),
      xAxis: axis({ type: "category", data: cats, splitLine: { show: false } }),
      yAxis: axis({ type: "value", minInterval: 1 }),
      series: s.series.map(function (l) {
        var o = { name: l.label, type: "bar", stack: "all", data: l.values, barMaxWidth: 28, emphasis: { focus: "series" } };
        if (bands && BAND[l.label]) o.itemStyle = { color: BAND[l.label] };
        return o;
      }),
    });
    if (c && onClick) c.on("click", function (p) { onClick(p.seriesName); });
    return c;
  }

  // donut draws labelled counts as a pie with a scrolling legend.
  function donut(id, counts, name, onClick) {
    var c = mount(id, {
      tooltip: baseTooltip({
        trigger: "item",
        formatter: function (p) {
          return tip(name, [{ mark: marker(null, p.dataIndex), k: p.name, v: num(p.value) + " (" + p.percent + "%)" }]);
        },
      }),
      legend: {
        type: "scroll", orient: "vertical", right: 0, top: 8, bottom: 8, textStyle: { color: MUTED },
        pageTextStyle: { color: MUTED }, formatter: function (n) { return label(n, 34); },
      },
      series: [{
        name: name, type: "pie", radius: ["42%", "72%"], center: ["30%", "52%"], avoidLabelOverlap: true,
        label: { show: false }, itemStyle: { borderColor: PANEL, borderWidth: 2 },
        data: counts.map(function (x) { return { name: x.label, value: x.count }; }),
      }],
    }, counts.length === 0);
    if (c && onClick) c.on("click", function (p) { onClick(p.name); });
    return c;
  }

  // hbars draws labelled counts as horizontal bars, largest on top.
  function hbars(id, counts, name, color, onClick) {
    var rows = counts.slice(0, 12).reverse();
    var c = mount(id, {
      grid: { left: 200, right: 44, top: 8, bottom: 8 },
      tooltip: baseTooltip({
        trigger: "item",
        formatter: function (p) { return tip(name, [{ mark: marker(null, 0), k: p.name, v: num(p.value) }]); },
      }),
      xAxis: axis({ type: "value", minInterval: 1, axisLabel: { show: false } }),
      yAxis: axis({
        type: "category", data: rows.map(function (x) { return x.label; }), splitLine: { show: false },
        axisLabel: { color: MUTED, width: 188, overflow: "truncate", formatter: function (v) { return label(v, 40); } },
      }),
      series: [{
        name: name, type: "bar", data: rows.map(function (x) { return x.count; }), barMaxWidth: 16,
        itemStyle: { color: color || PALETTE[0], borderRadius: [0, 3, 3, 0] },
        label: { show: true, position: "right", color: MUTED, formatter: function (p) { return num(p.value); } },
      }],
    }, counts.length === 0);
    if (c && onClick) c.on("click", function (p) { onClick(p.name); });
    return c;
  }

  // worldMap draws geo points (attacker locations) on the vendored
  // Natural Earth map; the map file is fetched once per page.
  var worldLoaded = null;
  function loadWorld() {
    if (!worldLoaded) {
      worldLoaded = fetch("/assets/vendor/world-atlas/world.geo.json", { credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) throw new Error("world map: HTTP " + r.status);
          return r.json();
        })
        .then(function (geo) { echarts.registerMap("world", geo); });
    }
    return worldLoaded;
  }

  function worldMap(id, points) {
    if (!document.getElementById(id)) return Promise.resolve();
    return loadWorld().then(function () {
      var maxCount = points.reduce(function (m, p) { return Math.max(m, p.count); }, 1);
      mount(id, {
        tooltip: baseTooltip({
          trigger: "item",
          formatter: function (p) {
            var d = p.data || {};
            var place = [d.city, d.country].filter(Boolean).join(", ") || "Unknown location";
            return tip(place, [
              { mark: marker("critical"), k: "Alerts", v: num(d.count) },
              { k: "Lat, lon", v: d.value ? d.value[1].toFixed(2) + ", " + d.value[0].toFixed(2) : "" },
            ]);
          },
        }),
        geo: {
          map: "world", roam: true, silent: true, top: 8, bottom: 8,
          itemStyle: { areaColor: cssVar("--map-land"), borderColor: cssVar("--map-border"), borderWidth: 0.6 },
          emphasis: { disabled: true }, label: { show: false },
        },
        series: [{
          name: "Attackers", type: "scatter", coordinateSystem: "geo",
          data: points.map(function (p) {
            return { name: p.city || p.country, value: [p.lon, p.lat, p.count], city: p.city, country: p.country, count: p.count };
          }),
          symbolSize: function (v) { return 6 + 22 * Math.sqrt(v[2] / maxCount); },
          itemStyle: { color: BAND.critical, opacity: 0.75, borderColor: "#fff", borderWidth: 0.5 },
          emphasis: { scale: 1.4 },
        }],
      });
    });
  }

  // timeline draws an instance's findings: time × severity, size by count.
  function timeline(id, entries) {
    var maxCount = entries.reduce(function (m, e) { return Math.max(m, e.count || 1); }, 1);
    return mount(id, {
      grid: { left: 44, right: 24, top: 16, bottom: 28 },
      tooltip: baseTooltip({
        trigger: "item",
        formatter: function (p) {
          var e = entries[p.dataIndex];
          return tip(e.title || e.type, [
            { mark: marker(e.band), k: "Severity", v: e.band + " " + e.severity },
            { k: "Type", v: e.type },
            { k: "Time", v: e.time.replace("T", " ").replace("Z", " UTC") },
            { k: "Count", v: num(e.count) },
            { k: "Remote IP", v: e.remote_ip || "\u2014" },
          ]);
        },
      }),
      xAxis: axis({ type: "time", splitLine: { show: false } }),
      yAxis: axis({ type: "value", min: 0, max: 10, interval: 2, name: "severity", nameTextStyle: { color: MUTED } }),
      series: [{
        type: "scatter",
        data: entries.map(function (e) { return [e.time, e.severity, e.count]; }),
        symbolSize: function (v) { return 8 + 14 * Math.sqrt((v[2] || 1) / maxCount); },
        itemStyle: {
          color: function (p) { return BAND[entries[p.dataIndex].band] || PALETTE[0]; }, opacity: 0.85,
        },
      }],
    }, entries.length === 0);
  }

  var pages = {
    overview: function (d) {
      donut("chart-types", d.by_type, "Finding type", function (t) { go("/alerts", { type: t }); });
      stacked("chart-bands", d.by_band_time, true, function (b) { go("/alerts", { band: b }); });
      stacked("chart-groups", d.by_group_time, false);
      return worldMap("chart-map", d.geo);
    },
    bruteforce: function (d) {
      stacked("chart-bf-time", d.by_port_time, false);
      donut("chart-bf-ports", d.by_port, "Target port");
    },
    unusual: function (d) {
      hbars("chart-un-countries", d.countries, "Country", PALETTE[1]);
      hbars("chart-un-principals", d.principals, "Principal", PALETTE[0], function (p) { go("/alerts", { q: p }); });
      hbars("chart-un-apis", d.apis, "API", PALETTE[2]);
      return worldMap("chart-un-map", d.geo);
    },
    instance: function (d) {
      timeline("chart-timeline", d.timeline);
    },
  };

  // The page-size select applies at once.
  var size = document.querySelector("#alert-filter select[name=size]");
  if (size) size.addEventListener("change", function () { size.form.requestSubmit(); });

  var page = document.body.getAttribute("data-page");
  var dataEl = document.getElementById("page-data");
  var draw = pages[page];
  var done = function () { document.body.setAttribute("data-ready", "1"); };
  if (!draw || !dataEl || typeof echarts === "undefined") {
    done();
    return;
  }
  var data = JSON.parse(dataEl.textContent);
  Promise.resolve(draw(data)).then(function () { return Promise.all(rendered); }).then(done, function (err) {
    done();
    throw err;
  });
})();
