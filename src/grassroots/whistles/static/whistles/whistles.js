// Live report-in clocks: each [data-until] counts down to its deadline (and up past it), in
// the words the server rendered it with (data-left / data-over, units from #ws-units).
(function () {
  var units = document.getElementById("ws-units");
  if (!units) { return; }
  units = JSON.parse(units.textContent);
  function fill(text, n) { return text.replace("%d", String(n)); }
  function span(ms, up) {
    // The time left is rounded up (30 minutes just after blowing), the time over down.
    var minutes = Math.max(up ? Math.ceil(ms / 60000) : Math.floor(ms / 60000), 1);
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    if (days) { return fill(units.d, days) + (hours ? " " + fill(units.h, hours) : ""); }
    if (hours) { return fill(units.h, hours) + (mins ? " " + fill(units.m, mins) : ""); }
    return fill(units.mm, mins);
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-until]").forEach(function (el) {
      var until = Date.parse(el.getAttribute("data-until"));
      if (isNaN(until)) { return; }
      var late = now > until;
      el.textContent = (late ? el.dataset.over : el.dataset.left).replace("%s", span(Math.abs(until - now), !late));
      var chip = el.closest(".ws-chip");
      if (late && chip && !chip.classList.contains("late")) {
        chip.classList.remove("info", "warn");
        chip.classList.add("late");
        var label = chip.querySelector(".ws-chip-label");
        if (label && chip.dataset.lateLabel) { label.textContent = chip.dataset.lateLabel; }
      }
    });
  }
  setInterval(tick, 30000);
})();
