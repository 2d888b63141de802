/* Grid map: an area's child grids drawn from their GeoJSON boundaries with ECharts, coloured
   by a chosen measure. No tiles and no CDN: the boundaries come with the page (json_script)
   and ECharts is served from our own static files, so it works offline. */
(function () {
  "use strict";

  var COLOURS = ["#fdecec", "#f3a0a3", "#c8161d"];

  function draw(box) {
    var source = document.getElementById(box.getAttribute("data-source"));
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    if (!data.geojson.features.length) return;
    var echarts = window.echarts;
    var encode = echarts.format.encodeHTML;
    echarts.registerMap(data.map, data.geojson);
    var chart = echarts.init(box, null, { renderer: "canvas" });
    var select = document.getElementById(box.getAttribute("data-measure"));
    var byKey = {};
    data.rows.forEach(function (row) { byKey[row.key] = row; });

    function render() {
      var key = select ? select.value : "households";
      var measure = data.measures[key];
      var values = data.rows.map(function (row) {
        return { name: row.key, value: row[key], title: row.name, url: row.url };
      });
      var max = key === "share" ? 100 : Math.max(1, Math.max.apply(null, values.map(function (v) { return v.value; })));
      chart.setOption({
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            var row = byKey[p.name];
            if (!row) return "";
            return encode(row.name) + "<br>" + encode(measure.label) + "：" + row[key] + encode(measure.unit);
          }
        },
        visualMap: {
          type: "continuous", min: 0, max: max, orient: "horizontal", left: "center", bottom: 0,
          itemWidth: 12, itemHeight: 140, calculable: false,
          text: [String(max) + measure.unit, "0"], textGap: 8, inRange: { color: COLOURS }
        },
        series: [{
          type: "map", map: data.map, nameProperty: "key", roam: true, selectedMode: false,
          layoutCenter: ["50%", "46%"], layoutSize: "84%",
          label: {
            show: true, fontSize: 12, color: "#1f2329", textBorderColor: "#fff", textBorderWidth: 2,
            formatter: function (p) { return byKey[p.name] ? byKey[p.name].name : ""; }
          },
          itemStyle: { borderColor: "#fff", borderWidth: 1.5, areaColor: "#eef0f3" },
          emphasis: { label: { color: "#1f2329" }, itemStyle: { areaColor: "#f7c948" } },
          data: values
        }]
      }, true);
      box.setAttribute("data-measure-shown", key);
    }

    render();
    if (select) select.addEventListener("change", render);
    chart.on("click", function (p) {
      var row = byKey[p.name];
      if (row && row.url) window.location.href = row.url;
    });
    window.addEventListener("resize", function () { chart.resize(); });
    box.setAttribute("data-ready", "1");
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-gridmap]"), draw);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
