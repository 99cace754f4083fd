// /console/analytics: filters, a summary and four charts from the `stats` query.
import { barChart, heatmap, lineChart, table } from "./charts.js";
import { TEXTS } from "./i18n.js";
import { LOGIN, SETUP, STATS, STATS_HEAT, STATS_SERVICES } from "./queries.js";

const TOKEN_KEY = "turnero.staffToken"; // shared with the other console pages
const LANG_KEY = "turnero.lang";
let lang = localStorage.getItem(LANG_KEY) || (navigator.language || "es").slice(0, 2);
if (!TEXTS[lang]) lang = "es";
const t = (key) => TEXTS[lang][key];
const $ = (id) => document.getElementById(id);

async function graphql(query, variables = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignIn();
    throw new Error("unauthenticated");
  }
  const body = await response.json();
  if (body.errors) throw new Error(body.errors[0].message);
  return body.data;
}

function translate() {
  document.documentElement.lang = lang;
  document.title = `${t("title")} · Turnero`;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
}

function status(message, isError = false) {
  const box = $("status");
  box.textContent = message;
  box.classList.toggle("error", isError);
}

function showSignIn() {
  $("signin").hidden = false;
  $("dashboard").hidden = true;
  $("username").focus();
}

async function signIn(event) {
  event.preventDefault();
  const data = await graphql(LOGIN, { u: $("username").value, p: $("password").value });
  if (data.login.__typename !== "Session") {
    status(t("badLogin"), true);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, data.login.token);
  $("password").value = "";
  status("");
  await start();
}

// the fewest distinct hours with a wait before the weekday x hour map is drawn
const HEAT_MIN_HOURS = 3;
const minutes = (v) => (v === null || v === undefined ? "—" : `${v.toFixed(1)} ${t("minutes")}`);
const percent = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)} %`);
const days = (v) => (v === null || v === undefined ? "—" : `${v.toFixed(1)} ${t("days")}`);

function filters() {
  const f = { from: $("from").value, to: $("to").value };
  if ($("office").value) f.officeIds = [$("office").value];
  if ($("service").value) f.serviceIds = [$("service").value];
  return f;
}

async function stats(document, groupBy) {
  const data = await graphql(document, { f: filters(), g: groupBy });
  if (data.stats.__typename !== "Stats") throw new Error(data.stats.message);
  return data.stats;
}

function summary(totals) {
  const items = [
    ["booked", totals.booked], ["came", totals.came], ["noShowRate", percent(totals.noShowRate)],
    ["walkIns", totals.walkIns], ["served", totals.served], ["waitMedian", minutes(totals.waitMedianMinutes)],
    ["waitP90", minutes(totals.waitP90Minutes)], ["serviceMedian", minutes(totals.serviceMedianMinutes)],
    ["leadMedian", days(totals.leadTimeMedianDays)],
    ["rating", totals.ratingAverage === null ? "—" : `${totals.ratingAverage.toFixed(2)} / 5 (${totals.ratingCount})`],
    ["unmet", totals.unmetSearches], ["estimateBias", minutes(totals.estimateBiasMinutes)],
  ];
  const list = $("summary-list");
  list.replaceChildren();
  for (const [key, value] of items) {
    const dt = document.createElement("dt");
    dt.textContent = t(key);
    const dd = document.createElement("dd");
    dd.textContent = String(value);
    list.append(dt, dd);
  }
}

function place(id, chart, details) {
  const holder = $(id);
  holder.replaceChildren(chart, details);
}

async function render() {
  status(t("loading"));
  const span = (new Date($("to").value) - new Date($("from").value)) / 86400000;
  const unit = span > 92 ? "WEEK" : "DAY";
  try {
    const [demand, heat, services] = await Promise.all([stats(STATS, [unit]), stats(STATS_HEAT), stats(STATS_SERVICES)]);
    summary(demand.totals);
    $("demand-desc").textContent = t("demandDesc").replace("{unit}", t(unit === "WEEK" ? "week" : "day"));
    const labels = demand.rows.map((r) => r.period);
    const series = [
      { name: t("booked"), values: demand.rows.map((r) => r.booked) },
      { name: t("walkIns"), values: demand.rows.map((r) => r.walkIns) },
    ];
    place("demand-chart", lineChart({ series, labels, titleId: "demand-title", descId: "demand-desc" }),
      table(t("tableOf"), ["", t("booked"), t("walkIns")], demand.rows.map((r) => [r.period, r.booked, r.walkIns])));

    const cells = new Map(heat.rows.map((r) => [`${r.weekday}:${r.hour}`, r.waitMedianMinutes]));
    const hours = [...new Set(heat.rows.map((r) => r.hour))].sort((a, b) => a - b);
    const hoursWithWaits = new Set(heat.rows.filter((r) => r.waitMedianMinutes !== null).map((r) => r.hour));
    if (hoursWithWaits.size < HEAT_MIN_HOURS) {
      // a handful of cells tells nothing about when people wait: say so instead of drawing them
      const note = document.createElement("p");
      note.className = "too-few";
      note.textContent = t("heatTooFew").replace("{n}", String(HEAT_MIN_HOURS));
      $("heat-chart").replaceChildren(note);
    } else place("heat-chart", heatmap({ cells, weekdays: t("weekdays"), hours, titleId: "heat-title", descId: "heat-desc", format: (v) => v.toFixed(0) }),
      table(t("tableOf"), [t("hour"), ...t("weekdays")], hours.map((h) => [`${h}h`, ...t("weekdays").map((_, d) => {
        const v = cells.get(`${d + 1}:${h}`);
        return v === undefined || v === null ? "—" : v.toFixed(1);
      })])));

    const top = services.rows.filter((r) => r.noShowRate !== null).sort((a, b) => b.booked - a.booked).slice(0, 15);
    const bars = top.map((r) => ({ label: r.service.name.length > 34 ? `${r.service.name.slice(0, 33)}…` : r.service.name, value: r.noShowRate }));
    place("noshow-chart", barChart({ bars, titleId: "noshow-title", descId: "noshow-desc", format: percent, max: Math.max(0.01, ...bars.map((b) => b.value)) }),
      table(t("tableOf"), [t("service"), t("booked"), t("noShowRate")], top.map((r) => [r.service.name, r.booked, percent(r.noShowRate)])));

    const ratings = demand.totals.ratings.map((count, i) => ({ label: `${i + 1} / 5`, value: count }));
    place("ratings-chart", barChart({ bars: ratings, titleId: "ratings-title", descId: "ratings-desc", format: (v) => `${v} ${t("people")}` }),
      table(t("tableOf"), [t("rating"), t("people")], ratings.map((r) => [r.label, r.value])));
    status(demand.totals.booked + demand.totals.walkIns === 0 ? t("noData") : "");
  } catch (error) {
    status(error.message, true);
  }
}

async function download() {
  const params = new URLSearchParams({ from: $("from").value, to: $("to").value, groupBy: "DAY,OFFICE,SERVICE" });
  if ($("office").value) params.set("officeIds", $("office").value);
  if ($("service").value) params.set("serviceIds", $("service").value);
  const response = await fetch(`/analytics/stats.csv?${params}`, {
    headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` },
  });
  if (!response.ok) {
    status((await response.json()).error.message, true);
    return;
  }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `turnero-${$("from").value}-${$("to").value}.csv`;
  link.click();
  URL.revokeObjectURL(link.href);
}

function option(value, label) {
  const node = document.createElement("option");
  node.value = value;
  node.textContent = label;
  return node;
}

async function start() {
  const data = await graphql(SETUP);
  if (!data.me) {
    showSignIn();
    return;
  }
  $("signin").hidden = true;
  $("dashboard").hidden = false;
  $("who").textContent = data.me.username;
  const isAdmin = data.me.roles.some((r) => r.role === "ADMIN");
  const managed = new Set(data.me.roles.filter((r) => r.role === "MANAGER" && r.office).map((r) => r.office.id));
  const offices = data.offices.filter((o) => isAdmin || managed.has(o.id));
  $("office").replaceChildren(option("", t("all")), ...offices.map((o) => option(o.id, o.name)));
  $("service").replaceChildren(option("", t("allServices")), ...data.services.map((s) => option(s.id, s.name)));
  await render();
}

function defaults() {
  const today = new Date();
  const back = new Date(today.getTime() - 90 * 86400000);
  $("to").value = today.toISOString().slice(0, 10);
  $("from").value = back.toISOString().slice(0, 10);
}

$("signin-form").addEventListener("submit", (event) => signIn(event).catch((e) => status(e.message, true)));
$("filters").addEventListener("submit", (event) => { event.preventDefault(); render(); });
$("download").addEventListener("click", () => download().catch((e) => status(e.message, true)));
// the session ends on the server (logout) before the page forgets its token; signing out works offline too
$("signout").addEventListener("click", async () => {
  await graphql("mutation { logout }").catch(() => null);
  sessionStorage.removeItem(TOKEN_KEY);
  showSignIn();
});
$("language").addEventListener("click", () => {
  lang = lang === "es" ? "en" : "es";
  localStorage.setItem(LANG_KEY, lang);
  translate();
  if (!$("dashboard").hidden) start();
});
translate();
defaults();
if (sessionStorage.getItem(TOKEN_KEY)) start().catch((e) => status(e.message, true));
else showSignIn();
