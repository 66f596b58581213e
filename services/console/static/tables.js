// Tables a manager can work with: each table marked data-table gets a filter above it (rows
// that do not contain the words are hidden), headers that sort it (a button each, announced
// with aria-sort; a cell's data-value sorts when given, numbers as numbers), and pages of
// data-page-size rows with a pager. Without scripts every row is shown as it came.
(function () {
  function value(row, column) {
    const cell = row.cells[column];
    if (!cell) return "";
    const given = cell.getAttribute("data-value");
    return given !== null ? given : cell.textContent.trim();
  }
  function compare(a, b) {
    const x = parseFloat(a.replace(/[, ]/g, "")), y = parseFloat(b.replace(/[, ]/g, ""));
    if (!isNaN(x) && !isNaN(y) && /^[-+]?[\d, .]+$/.test(a) && /^[-+]?[\d, .]+$/.test(b)) return x - y;
    return a.localeCompare(b, undefined, { sensitivity: "base", numeric: true });
  }
  document.querySelectorAll("table[data-table]").forEach(function (table, n) {
    const body = table.tBodies[0];
    if (!body) return;
    const size = parseInt(table.dataset.pageSize || "0", 10);
    const name = table.dataset.table || "rows";
    let page = 0;
    const tools = document.createElement("div");
    tools.className = "table-tools";
    const id = "filter-" + n;
    tools.innerHTML = '<label for="' + id + '">Filter the ' + name + '</label>' +
      '<input id="' + id + '" type="search" autocomplete="off">';
    const filter = tools.querySelector("input");
    const pager = document.createElement("nav");
    pager.className = "pager";
    pager.setAttribute("aria-label", "Pages of the " + name);
    pager.innerHTML = '<button type="button" class="secondary" data-step="-1">Previous page</button>' +
      '<span role="status"></span><button type="button" class="secondary" data-step="1">Next page</button>';
    const status = pager.querySelector("span");
    const anchor = table.closest(".table-wrap") || table;
    anchor.parentNode.insertBefore(tools, anchor);
    anchor.parentNode.insertBefore(pager, anchor.nextSibling);

    function show() {
      const words = filter.value.trim().toLowerCase();
      const rows = Array.from(body.rows);
      const kept = rows.filter(function (row) {
        return !words || row.textContent.toLowerCase().indexOf(words) >= 0;
      });
      const pages = size ? Math.max(1, Math.ceil(kept.length / size)) : 1;
      page = Math.min(page, pages - 1);
      rows.forEach(function (row) { row.hidden = true; });
      kept.forEach(function (row, i) {
        row.hidden = size ? Math.floor(i / size) !== page : false;
      });
      pager.hidden = pages < 2;
      status.textContent = "Page " + (page + 1) + " of " + pages + " (" + kept.length + " " + name + ")";
      pager.querySelector("[data-step='-1']").disabled = page === 0;
      pager.querySelector("[data-step='1']").disabled = page >= pages - 1;
    }
    filter.addEventListener("input", function () { page = 0; show(); });
    pager.addEventListener("click", function (e) {
      const step = e.target.getAttribute && e.target.getAttribute("data-step");
      if (step) { page += parseInt(step, 10); show(); }
    });
    Array.from(table.tHead ? table.tHead.rows[0].cells : []).forEach(function (th, column) {
      if (th.hasAttribute("data-nosort")) return;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("th[aria-sort]").forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        Array.from(body.rows)
          .sort(function (a, b) {
            const order = compare(value(a, column), value(b, column));
            return ascending ? order : -order;
          })
          .forEach(function (row) { body.appendChild(row); });
        show();
      });
    });
    show();
  });
})();
