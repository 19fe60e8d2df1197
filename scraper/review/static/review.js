// scraper review: filters on the index, the trafilatura toggle and copy buttons on a page.
// No network, no eval, no innerHTML: page text only ever reaches the DOM as escaped HTML.
"use strict";

// Rows per screen: a table of 10,000 laid-out rows takes the browser seconds; hidden ones cost nothing.
const PAGE_ROWS = 500;
let firstRow = 0;

function filterPages() {
  const rule = document.getElementById("rule-filter").value;
  const site = document.getElementById("site-filter").value;
  let shown = 0;
  const onSite = new Set();
  for (const row of document.querySelectorAll("#pages tbody tr")) {
    const ok = (!rule || row.dataset.rules.includes(" " + rule + " ")) &&
               (!site || row.dataset.site === site);
    row.hidden = !ok || shown < firstRow || shown >= firstRow + PAGE_ROWS;
    if (ok) shown += 1;
    if (row.dataset.site === site) {
      for (const name of row.dataset.rules.trim().split(" ")) onSite.add(name);
    }
  }
  const last = Math.min(firstRow + PAGE_ROWS, shown);
  document.getElementById("shown").textContent = shown > PAGE_ROWS
    ? shown + " pages (" + (firstRow + 1) + "–" + last + " shown)" : shown + " pages";
  document.getElementById("prev-rows").hidden = firstRow === 0;
  document.getElementById("next-rows").hidden = last >= shown;
  // A site view: only the rules that fired on that site's pages.
  for (const row of document.querySelectorAll("#rules tbody tr")) {
    row.classList.toggle("selected", row.dataset.rule === rule);
    row.hidden = Boolean(site) && !onSite.has(row.dataset.rule);
  }
  for (const row of document.querySelectorAll("#sites tbody tr")) {
    row.classList.toggle("selected", row.dataset.site === site);
  }
}

function moveRows(step) {
  firstRow = Math.max(0, firstRow + step * PAGE_ROWS);
  filterPages();
}

function fromHash() {
  firstRow = 0;
  const params = new URLSearchParams(location.hash.slice(1));
  const ruleSelect = document.getElementById("rule-filter");
  const siteSelect = document.getElementById("site-filter");
  ruleSelect.value = params.get("rule") || "";
  siteSelect.value = params.get("site") || "";
  filterPages();
  if (params.get("rule") || params.get("site")) {
    document.getElementById("filters").scrollIntoView();
  }
}

function toHash() {
  firstRow = 0;
  const params = new URLSearchParams();
  const rule = document.getElementById("rule-filter").value;
  const site = document.getElementById("site-filter").value;
  if (rule) params.set("rule", rule);
  if (site) params.set("site", site);
  history.replaceState(null, "", "#" + params.toString());
  filterPages();
}

function copyText(text) {
  const done = () => {
    const status = document.getElementById("copied");
    if (status) status.textContent = "Copied to the clipboard";
    setTimeout(() => { if (status) status.textContent = ""; }, 2000);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => fallbackCopy(text, done));
  } else {
    fallbackCopy(text, done);
  }
}

function fallbackCopy(text, done) {
  const area = document.createElement("textarea");
  area.value = text;
  document.body.appendChild(area);
  area.select();
  try { document.execCommand("copy"); done(); } finally { area.remove(); }
}

function init() {
  if (document.getElementById("pages")) {
    document.getElementById("rule-filter").addEventListener("change", toHash);
    document.getElementById("site-filter").addEventListener("change", toHash);
    window.addEventListener("hashchange", fromHash);
    document.getElementById("prev-rows").addEventListener("click", () => moveRows(-1));
    document.getElementById("next-rows").addEventListener("click", () => moveRows(1));
    fromHash();
  }
  const toggle = document.getElementById("tf-toggle");
  if (toggle) {
    toggle.addEventListener("change", () => {
      document.body.classList.toggle("tf", toggle.checked);
      const summary = document.getElementById("tf-summary");
      if (summary) summary.hidden = !toggle.checked;
    });
  }
  for (const button of document.querySelectorAll("button.copy")) {
    button.addEventListener("click", () => copyText(button.dataset.snippet));
  }
}

// Loaded with `defer` from assets/, or inline at the end of a one-page file: the DOM is there.
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", init);
} else {
  init();
}
