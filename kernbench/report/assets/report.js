// kernbench report: sortable tables, row filters, paging and the device selector.
// No network, no dependencies.
(function () {
  "use strict";
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  function key(cell) {
    var raw = cell.getAttribute("data-sort");
    if (raw === null || raw === "") return null;
    var num = Number(raw);
    return isNaN(num) ? raw.toLowerCase() : num;
  }

  function compare(a, b) {
    if (a === null) return b === null ? 0 : 1;   // empty cells last, either direction
    if (b === null) return -1;
    if (typeof a === typeof b) return a < b ? -1 : a > b ? 1 : 0;
    return typeof a === "number" ? -1 : 1;
  }

  var pages = {};  // table id -> current page (0-based)

  // Show the rows that pass every filter, then only the current page of them.
  function refresh(table) {
    var needle = "", selects = [];
    each(document.querySelectorAll("input.filter[data-table='" + table.id + "']"), function (i) {
      needle = i.value.toLowerCase();
    });
    each(document.querySelectorAll("select.column-filter[data-table='" + table.id + "']"), function (s) {
      if (s.value !== "") selects.push([s.getAttribute("data-col"), s.value]);
    });
    var size = Number(table.getAttribute("data-page-size") || 0);
    var matching = [];
    each(table.tBodies[0].rows, function (row) {
      var ok = needle === "" || row.textContent.toLowerCase().indexOf(needle) >= 0;
      selects.forEach(function (pair) {
        var cell = row.querySelector("td[data-col='" + pair[0] + "']");
        if (!cell || cell.textContent !== pair[1]) ok = false;
      });
      row.hidden = true;
      if (ok) matching.push(row);
    });
    var count = Math.max(1, size ? Math.ceil(matching.length / size) : 1);
    var page = Math.min(pages[table.id] || 0, count - 1);
    pages[table.id] = page;
    matching.forEach(function (row, i) {
      row.hidden = size > 0 && (i < page * size || i >= (page + 1) * size);
    });
    var pager = document.querySelector(".pager[data-table='" + table.id + "']");
    if (pager) {
      var first = matching.length ? page * size + 1 : 0;
      var last = Math.min(matching.length, (page + 1) * size);
      pager.querySelector(".where").textContent =
        "rows " + first + "-" + last + " of " + matching.length + " (page " + (page + 1) + " of " + count + ")";
      pager.querySelector(".prev").disabled = page === 0;
      pager.querySelector(".next").disabled = page >= count - 1;
    }
  }

  function sortBy(table, index, th) {
    var body = table.tBodies[0];
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) {
      var a = key(r1.cells[index]), b = key(r2.cells[index]);
      if (a === null || b === null) return compare(a, b);
      return ascending ? compare(a, b) : compare(b, a);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    each(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    pages[table.id] = 0;
    refresh(table);
  }

  each(document.querySelectorAll("table.sortable"), function (table) {
    each(table.tHead.rows[0].cells, function (th, index) {
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(table, index, th); });
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") sortBy(table, index, th); });
    });
    refresh(table);
  });
  each(document.querySelectorAll("input.filter, select.column-filter"), function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    input.addEventListener(input.tagName === "SELECT" ? "change" : "input", function () {
      pages[table.id] = 0;
      refresh(table);
    });
  });
  each(document.querySelectorAll(".pager"), function (pager) {
    var table = document.getElementById(pager.getAttribute("data-table"));
    pager.querySelector(".prev").addEventListener("click", function () {
      pages[table.id] = (pages[table.id] || 0) - 1;
      refresh(table);
    });
    pager.querySelector(".next").addEventListener("click", function () {
      pages[table.id] = (pages[table.id] || 0) + 1;
      refresh(table);
    });
  });

  // The device selector: sections of other devices are hidden; the choice follows the reader.
  var select = document.getElementById("device-select");
  function showDevice(device) {
    var sections = document.querySelectorAll("section[data-device]");
    var empty = document.getElementById("device-empty");
    var shown = 0;
    each(sections, function (section) {
      section.hidden = device !== "" && section.getAttribute("data-device") !== device;
      if (!section.hidden) shown += 1;
      if (!section.hidden && window.Plotly) {
        each(section.querySelectorAll(".js-plotly-plot"), function (div) { window.Plotly.Plots.resize(div); });
      }
    });
    if (empty) empty.hidden = sections.length === 0 || shown > 0;
  }
  if (select) {
    var saved = "";
    try { saved = window.localStorage.getItem("kernbench-device") || ""; } catch (e) { saved = ""; }
    if (Array.prototype.some.call(select.options, function (o) { return o.value === saved; })) {
      select.value = saved;
    }
    showDevice(select.value);
    select.addEventListener("change", function () {
      try { window.localStorage.setItem("kernbench-device", select.value); } catch (e) { /* private mode */ }
      showDevice(select.value);
    });
  }
})();
