/* Request pages on the phone: category search, the description counter, the photo picker
   (camera or album, previews, at most N), "use my location", and one submission per tap.
   Every text shown comes from the page (data-* attributes, translated there). Without this
   file the forms still work: radios, plain file inputs, a building list. */
(function () {
  "use strict";

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  // Category picker: filter the rendered list by the words each leaf carries (names,
  // keywords, their pinyin and initials, the code), opening the groups that still match.
  function categories(root) {
    var search = root.querySelector("[data-cat-search]");
    var picked = root.querySelector("[data-cat-picked]");
    var none = root.querySelector("[data-cat-none]");
    if (!search) return;
    function filter() {
      var q = search.value.trim().toLowerCase();
      var shown = 0;
      each(root.querySelectorAll("[data-cat-group]"), function (group) {
        var inGroup = 0;
        each(group.querySelectorAll("[data-terms]"), function (item) {
          var hit = !q || item.getAttribute("data-terms").indexOf(q) !== -1;
          item.hidden = !hit;
          if (hit) inGroup += 1;
        });
        group.hidden = inGroup === 0;
        if (q) group.open = inGroup > 0;
        else group.open = !!group.querySelector("input:checked");
        shown += inGroup;
      });
      if (none) none.hidden = shown > 0;
    }
    search.addEventListener("input", filter);
    search.addEventListener("keydown", function (e) {
      if (e.key === "Enter") e.preventDefault();  // searching, not submitting
    });
    root.addEventListener("change", function (e) {
      var input = e.target;
      if (input.name !== "category" || !picked) return;
      var label = input.parentNode.querySelector("span");
      picked.textContent = label ? label.textContent : input.value;
    });
  }

  function counters(root) {
    each(root.querySelectorAll("[data-counter-for]"), function (box) {
      var field = document.getElementById(box.getAttribute("data-counter-for"));
      var max = parseInt(box.getAttribute("data-max"), 10);
      var out = box.querySelector("span");
      if (!field || !out) return;
      function update() {
        out.textContent = String(field.value.length);
        box.classList.toggle("over", field.value.length > max);
      }
      field.addEventListener("input", update);
      update();
    });
  }

  // Photos: both inputs feed one list kept in a DataTransfer, handed back to the album input
  // (the one that is sent); the camera input loses its name so nothing is sent twice.
  function photos(picker) {
    var album = picker.querySelector("[data-album]");
    var camera = picker.querySelector("[data-camera]");
    var thumbs = picker.querySelector("[data-thumbs]");
    var count = picker.querySelector("[data-photo-count]");
    var max = parseInt(picker.getAttribute("data-max"), 10) || 9;
    var store;
    try { store = new DataTransfer(); } catch (e) { return; }
    if (!album || !thumbs) return;
    if (camera) camera.removeAttribute("name");
    var adders = thumbs.querySelectorAll(".add-photo");
    var urls = [];

    function render() {
      urls.forEach(function (u) { URL.revokeObjectURL(u); });
      urls = [];
      each(thumbs.querySelectorAll(".thumb"), function (t) { t.remove(); });
      each(store.files, function (file, index) {
        var box = document.createElement("div");
        box.className = "thumb";
        var img = document.createElement("img");
        var url = URL.createObjectURL(file);
        urls.push(url);
        img.src = url;
        img.alt = file.name;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "remove";
        remove.textContent = "×";
        remove.setAttribute("aria-label", picker.getAttribute("data-remove"));
        remove.addEventListener("click", function () { drop(index); });
        box.appendChild(img);
        box.appendChild(remove);
        thumbs.insertBefore(box, adders[0]);
      });
      var full = store.files.length >= max;
      each(adders, function (a) { a.hidden = full; });
      if (count) {
        count.textContent = store.files.length
          ? picker.getAttribute("data-count").replace("{n}", store.files.length).replace("{max}", max)
          : "";
      }
      album.files = store.files;
    }

    function drop(index) {
      var next = new DataTransfer();
      each(store.files, function (file, i) { if (i !== index) next.items.add(file); });
      store = next;
      render();
    }

    function add(files) {
      var skipped = false;
      each(files, function (file) {
        if (store.files.length < max) store.items.add(file);
        else skipped = true;
      });
      render();
      if (skipped) window.alert(picker.getAttribute("data-too-many"));
    }

    album.addEventListener("change", function () {
      // The browser replaced the input's files with the new choice: add it to the list.
      var chosen = Array.prototype.slice.call(album.files);
      add(chosen);
    });
    if (camera) {
      camera.addEventListener("change", function () {
        add(Array.prototype.slice.call(camera.files));
        camera.value = "";
      });
    }
  }

  // "Use my location": the point goes into the hidden lat/lon; a chosen building would win
  // over it on the server, so the building list is set to none, and choosing a building
  // clears the point again.
  function locate(form) {
    var button = form.querySelector("[data-locate]");
    var status = form.querySelector("[data-locate-status]");
    var lat = form.querySelector("input[name=lat]");
    var lon = form.querySelector("input[name=lon]");
    var building = form.querySelector("select[name=building]");
    if (!button || !lat || !lon) return;
    function say(text, ok) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("ok", !!ok);
    }
    button.addEventListener("click", function () {
      if (!navigator.geolocation) { say(button.getAttribute("data-unsupported")); return; }
      say(button.getAttribute("data-busy"));
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = pos.coords.latitude.toFixed(6);
        lon.value = pos.coords.longitude.toFixed(6);
        if (building) building.value = "";
        var accuracy = pos.coords.accuracy ? "（±" + Math.round(pos.coords.accuracy) + " m）" : "";
        say(button.getAttribute("data-done") + accuracy, true);
      }, function () {
        say(button.getAttribute("data-failed"));
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
    if (building) {
      building.addEventListener("change", function () {
        if (building.value) { lat.value = ""; lon.value = ""; say(""); }
      });
    }
  }

  // One submission per tap: the button is disabled once the form is on its way (after the
  // submit event, so the form data is already taken), and enabled again if the page comes
  // back from the browser's history.
  function once(form) {
    form.addEventListener("submit", function () {
      var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
      window.setTimeout(function () { each(buttons, function (b) { b.disabled = true; }); }, 0);
    });
    window.addEventListener("pageshow", function () {
      each(form.querySelectorAll("button"), function (b) { b.disabled = false; });
    });
  }

  function start() {
    each(document.querySelectorAll("form[data-once]"), function (form) {
      once(form);
      categories(form);
      counters(form);
      locate(form);
    });
    each(document.querySelectorAll("[data-photos]"), photos);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
