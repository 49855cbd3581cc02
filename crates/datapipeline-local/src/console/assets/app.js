// The console's page script. It asks the service's JSON endpoints under
// /console/api/ for the state every second and draws it. Every text from
// the service goes into the page as text (textContent, attributes), never
// as markup, so an object id or a log line cannot inject anything.
"use strict";

const REFRESH_MS = 1000;
const SVG = "http://www.w3.org/2000/svg";
const STATUSES = [
  "FINISHED", "RUNNING", "WAITING_FOR_RUNNER", "WAITING_ON_DEPENDENCIES",
  "FAILED", "CASCADE_FAILED", "TIMEDOUT", "CANCELED", "PAUSED", "SKIPPED",
];

// What the page shows, kept across refreshes.
const view = {
  route: null,        // {page, pipeline, tab}
  sort: {key: "id", ascending: true},
  search: "",
  runsPage: 0,
  // The latest time when paging began: older pages count back from it, so
  // new scheduled times do not shift them (null on the first page).
  runsAsOf: null,
  selectedObject: null,
  selectedInstance: null,
  graphShape: null,   // the node and edge ids drawn, to redraw only on change
  runsDrawn: null,    // the grid drawn, to redraw only on change
  logs: new Map(),    // attempt id -> {status, tries, answer}
};

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "onclick") node.addEventListener("click", value);
    else if (name === "oninput") node.addEventListener("input", value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

async function api(path) {
  const response = await fetch("api/" + path, {cache: "no-store"});
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function segment(text) {
  return encodeURIComponent(text);
}

function badge(status, text) {
  return element("span", {class: "badge " + status}, text === undefined ? status : text);
}

function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (parts[0] === "pipeline" && parts[1]) {
    return {page: "pipeline", pipeline: parts[1], tab: parts[2] || "graph"};
  }
  return {page: "pipelines"};
}

function setLive(ok) {
  document.getElementById("live").classList.toggle("stale", !ok);
}

// ---- the pipelines page ----------------------------------------------

const COLUMNS = [
  ["id", "Id"], ["name", "Name"], ["state", "State"], ["health", "Health"],
  ["lastRun", "Last run"], ["objects", "Objects"], ["instances", "Instances"],
];

async function showPipelines(main, fresh) {
  const answer = await api("pipelines");
  if (fresh) {
    main.replaceChildren(
      element("input", {
        type: "search", id: "search", placeholder: "Search id, name, state…",
        value: view.search,
        oninput: (event) => { view.search = event.target.value; drawPipelineRows(view.lastPipelines); },
      }),
      element("table", {id: "pipelines"},
        element("thead", {}, element("tr", {},
          COLUMNS.map(([key, title]) => element("th", {
            class: "sortable", "data-key": key,
            onclick: () => {
              view.sort = {key, ascending: view.sort.key === key ? !view.sort.ascending : true};
              drawPipelineRows(view.lastPipelines);
            },
          }, title)),
          element("th", {}, "Instances by status"))),
        element("tbody")));
  }
  drawPipelineRows(answer.pipelines);
}

function drawPipelineRows(pipelines) {
  view.lastPipelines = pipelines;
  const table = document.getElementById("pipelines");
  if (!table) return;
  const needle = view.search.trim().toLowerCase();
  const shown = pipelines.filter((pipeline) => !needle ||
    [pipeline.id, pipeline.name, pipeline.state, pipeline.health]
      .some((text) => String(text || "").toLowerCase().includes(needle)));
  const {key, ascending} = view.sort;
  shown.sort((a, b) => {
    const left = a[key] ?? "", right = b[key] ?? "";
    const order = typeof left === "number" ? left - right : String(left).localeCompare(String(right));
    return ascending ? order : -order;
  });
  for (const th of table.querySelectorAll("th.sortable")) {
    th.classList.toggle("sorted-asc", th.dataset.key === key && ascending);
    th.classList.toggle("sorted-desc", th.dataset.key === key && !ascending);
  }
  table.tBodies[0].replaceChildren(...shown.map((pipeline) => element("tr", {"data-id": pipeline.id},
    element("td", {}, element("a", {href: "#/pipeline/" + segment(pipeline.id) + "/graph"}, pipeline.id)),
    element("td", {}, pipeline.name),
    element("td", {}, pipeline.state),
    element("td", {}, pipeline.health),
    element("td", {}, pipeline.lastRun || "—"),
    element("td", {}, pipeline.objects),
    element("td", {}, pipeline.instances),
    element("td", {}, Object.entries(pipeline.counts).map(([status, count]) => badge(status, status + " " + count))))));
  if (!shown.length) {
    table.tBodies[0].append(element("tr", {}, element("td", {colspan: 8, class: "muted"},
      pipelines.length ? "No pipeline matches the search." : "No pipelines yet: create one with the AWS CLI, boto3 or an SDK.")));
  }
}

// ---- one pipeline: tabs and the side panel ----------------------------

function pipelineFrame(main, route) {
  const base = "#/pipeline/" + segment(route.pipeline) + "/";
  main.replaceChildren(
    element("div", {class: "tabs"},
      [["graph", "Graph"], ["runs", "Runs"], ["leases", "Leases"]].map(([tab, title]) =>
        element("a", {href: base + tab, class: tab === route.tab ? "active" : null, id: "tab-" + tab}, title))),
    element("div", {class: "layout"}, element("div", {id: "content", class: "canvas"}), element("div", {id: "panel"})));
}

function fieldsTable(fields) {
  return element("table", {class: "fields"},
    element("tr", {}, element("th", {}, "Field"), element("th", {}, "Value"), element("th", {}, "Evaluated")),
    fields.map((field) => element("tr", {"data-key": field.key, class: field.inherited ? "muted" : null},
      element("td", {}, field.key, field.inherited ? " (inherited)" : ""),
      element("td", {}, field.reference ? "→ " + field.value : field.value),
      element("td", {class: field.error ? "error" : null}, field.evaluated ?? field.error ?? ""))));
}

// ---- the graph ------------------------------------------------------------

async function showGraph(route, fresh) {
  const graph = await api("pipelines/" + segment(route.pipeline) + "/graph");
  const content = document.getElementById("content");
  const shape = JSON.stringify([graph.nodes.map((node) => node.id), graph.edges.map((edge) => [edge.from, edge.to, edge.label])]);
  if (fresh || shape !== view.graphShape || !content.querySelector("svg")) {
    view.graphShape = shape;
    content.replaceChildren(drawGraph(graph, route), legend());
  }
  for (const node of graph.nodes) {
    const drawn = content.querySelector(`g.node[data-index="${graph.nodes.indexOf(node)}"]`);
    if (!drawn) continue;
    drawn.setAttribute("data-status", node.status || "NONE");
    drawn.querySelector("title").textContent = node.id + ": " + (node.status || "no instance yet");
  }
  if (view.selectedObject) await showObject(route, view.selectedObject);
}

function drawGraph(graph, route) {
  const picture = svg("svg", {
    id: "graph", width: graph.width, height: graph.height,
    viewBox: `0 0 ${graph.width} ${graph.height}`,
  });
  const defs = svg("defs");
  const marker = svg("marker", {id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto"});
  marker.append(svg("path", {d: "M0,0 L10,5 L0,10 z", fill: "#8a939e"}));
  defs.append(marker);
  picture.append(defs);
  for (const edge of graph.edges) {
    if (edge.points.length < 2) continue;
    const group = svg("g", {class: "edge", "data-from": edge.from, "data-to": edge.to, "data-label": edge.label});
    group.append(svg("polyline", {points: edge.points.map(([x, y]) => x + "," + y).join(" "), "marker-end": "url(#arrow)"}));
    const middle = edge.points[Math.floor((edge.points.length - 1) / 2)];
    const next = edge.points[Math.floor((edge.points.length - 1) / 2) + 1];
    const label = svg("text", {x: (middle[0] + next[0]) / 2 + 4, y: (middle[1] + next[1]) / 2 + 4});
    label.textContent = edge.label;
    group.append(label);
    picture.append(group);
  }
  graph.nodes.forEach((node, index) => {
    const group = svg("g", {
      class: "node" + (node.id === view.selectedObject ? " selected" : ""),
      "data-id": node.id, "data-index": index, "data-status": node.status || "NONE",
      transform: `translate(${node.x - graph.nodeWidth / 2},${node.y - graph.nodeHeight / 2})`,
    });
    group.append(svg("title"));
    group.append(svg("rect", {width: graph.nodeWidth, height: graph.nodeHeight}));
    const name = svg("text", {x: 10, y: 19});
    name.textContent = clip(node.id, 26);
    const type = svg("text", {x: 10, y: 36, class: "type"});
    // The status is the box's colour (see the legend) and its tooltip.
    type.textContent = clip(node.type || node.kind || "", 30);
    group.append(name, type);
    group.addEventListener("click", () => {
      view.selectedObject = node.id;
      for (const other of picture.querySelectorAll("g.node")) other.classList.toggle("selected", other === group);
      showObject(route, node.id);
    });
    picture.append(group);
  });
  return picture;
}

function legend() {
  return element("div", {class: "legend"}, STATUSES.map((status) => badge(status)),
    element("span", {class: "muted"}, " · white: no instance yet"));
}

function clip(text, length) {
  return text.length > length ? text.slice(0, length - 1) + "…" : text;
}

async function showObject(route, id) {
  const object = await api("pipelines/" + segment(route.pipeline) + "/objects/" + segment(id));
  const panel = document.getElementById("panel");
  if (!panel || view.selectedObject !== id) return;
  panel.replaceChildren(
    element("h3", {id: "object-title"}, object.id),
    element("p", {}, object.type || "(no type)", " · latest instance: ",
      object.latestInstance ? element("span", {}, object.latestInstance, " ", badge(object.status)) : "none"),
    fieldsTable(object.fields));
}

// ---- runs -------------------------------------------------------------------

async function showRuns(route, fresh) {
  const asOf = view.runsAsOf ? `&asOf=${encodeURIComponent(view.runsAsOf)}` : "";
  const grid = await api(`pipelines/${segment(route.pipeline)}/runs?page=${view.runsPage}${asOf}`);
  const content = document.getElementById("content");
  view.runsPage = grid.page;
  // Redrawn only when it changed, so that a click never lands on a cell
  // being replaced.
  const drawn = JSON.stringify(grid) + "|" + view.selectedInstance;
  if (!fresh && drawn === view.runsDrawn && content.querySelector("#runs")) {
    if (view.selectedInstance) await showInstance(route, view.selectedInstance);
    return;
  }
  view.runsDrawn = drawn;
  const pager = element("div", {class: "pager"},
    element("button", {id: "newer", disabled: grid.page === 0 ? true : null, onclick: () => {
      view.runsPage -= 1;
      if (view.runsPage === 0) view.runsAsOf = null;
      refresh(false);
    }}, "◀ newer"),
    element("span", {id: "page-label"}, `page ${grid.page + 1} of ${grid.pages}${grid.asOf ? ` back from ${grid.asOf}` : ""} · ${grid.totalTimes} scheduled times · ${grid.totalInstances} instances`),
    element("button", {id: "older", disabled: grid.page + 1 >= grid.pages ? true : null, onclick: () => {
      view.runsAsOf = view.runsAsOf || grid.times[0] || null;
      view.runsPage += 1;
      refresh(false);
    }}, "older ▶"));
  const table = element("table", {class: "grid", id: "runs"},
    element("tr", {}, element("th", {}, "Component \\ scheduled start"), grid.times.map((time) => element("th", {class: "time"}, time))),
    grid.rows.map((row) => element("tr", {"data-component": row.component},
      element("th", {}, row.component),
      row.cells.map((cell) => cell
        ? element("td", {
          class: "cell" + (cell.id === view.selectedInstance ? " selected" : ""),
          "data-instance": cell.id, "data-status": cell.status,
          title: `${cell.id}: ${cell.status} (${cell.attempts} attempt${cell.attempts === 1 ? "" : "s"})`,
          onclick: () => { view.selectedInstance = cell.id; refresh(false); },
        })
        : element("td", {class: "empty"})))));
  content.replaceChildren(pager, table, legend());
  if (!grid.rows.length) content.append(element("p", {class: "muted"}, "No instances yet: the pipeline has not been activated, or its schedule has not come."));
  if (view.selectedInstance) await showInstance(route, view.selectedInstance);
}

async function showInstance(route, id) {
  const base = "pipelines/" + segment(route.pipeline);
  const instance = await api(base + "/instances/" + segment(id));
  const attempts = await Promise.all(instance.attempts.map(async (attempt) => [attempt, await attemptLogs(base, attempt)]));
  const panel = document.getElementById("panel");
  if (!panel || view.selectedInstance !== id) return;
  panel.replaceChildren(
    element("h3", {id: "instance-title"}, instance.id),
    element("p", {}, badge(instance.status), ` scheduled ${instance.scheduledStart} → ${instance.scheduledEnd}`),
    element("table", {},
      row("started", instance.actualStart), row("ended", instance.actualEnd),
      row("tries left", instance.triesLeft),
      row("waiting on", instance.waitingOn.join(", ")),
      row("cascade failed on", instance.cascadeFailedOn),
      row("errorId", instance.error && instance.error.errorId),
      row("errorMessage", instance.error && instance.error.errorMessage)),
    element("h4", {}, `Attempts (${attempts.length})`),
    ...attempts.reverse().map(([attempt, logs]) => attemptBlock(attempt, logs)));
}

function row(name, value) {
  if (value === null || value === undefined || value === "") return null;
  return element("tr", {}, element("th", {}, name), element("td", {}, value));
}

async function attemptLogs(base, attempt) {
  const known = view.logs.get(attempt.id);
  const complete = known && known.status === attempt.status &&
    (known.answer.stdout != null || known.answer.stderr != null || known.tries >= 5 || !known.answer.source);
  if (complete) return known.answer;
  try {
    const answer = await api(base + "/attempts/" + segment(attempt.id) + "/logs");
    view.logs.set(attempt.id, {status: attempt.status, tries: known && known.status === attempt.status ? known.tries + 1 : 1, answer});
    return answer;
  } catch (error) {
    return {note: String(error)};
  }
}

function attemptBlock(attempt, logs) {
  const error = attempt.error || {};
  return element("div", {class: "attempt", "data-attempt": attempt.id, "data-status": attempt.status},
    element("strong", {}, `Attempt ${attempt.number} `), badge(attempt.status),
    element("table", {},
      row("started", attempt.start), row("ended", attempt.end),
      row("runner", attempt.runner), row("hostname", attempt.hostname),
      row("last report", attempt.lastReport),
      row("reassignments", attempt.reassignments || null),
      row("errorId", error.errorId),
      row("errorMessage", error.errorMessage)),
    logs.stdout != null ? [element("div", {class: "muted"}, "stdout"), element("pre", {class: "stdout"}, logs.stdout || "(empty)")] : null,
    logs.stderr != null ? [element("div", {class: "muted"}, "stderr"), element("pre", {class: "stderr"}, logs.stderr || "(empty)")] : null,
    logs.stdout == null && logs.stderr == null
      ? element("div", {class: "muted"}, logs.note || (attempt.end ? "no output found" : "output appears when the command ends"))
      : null);
}

// ---- leases -----------------------------------------------------------------

async function showLeases(route) {
  const leases = await api("pipelines/" + segment(route.pipeline) + "/leases");
  const content = document.getElementById("content");
  const totals = leases.totals;
  const yes = (flag) => element("span", {class: flag ? "yes" : "no"}, flag ? "yes" : "no");
  content.replaceChildren(
    element("p", {id: "lease-totals"},
      `${totals.granted} leases granted · ${totals.live} live · ${totals.reassignments} reassignments · ` +
      `${totals.expired} lapsed · ${totals.statusesFenced} statuses fenced · ${totals.cancelsDelivered} cancels delivered`),
    element("h4", {}, "Held now"),
    leases.live.length ? element("table", {id: "live-leases"},
      element("tr", {}, ["Attempt", "Holder", "Runner", "Acknowledged", "Last report", "Lapses in", "Cancel asked"].map((title) => element("th", {}, title))),
      leases.live.map((lease) => element("tr", {"data-attempt": lease.attempt},
        element("td", {}, lease.attempt), element("td", {}, lease.holder || "—"), element("td", {}, lease.runner || "—"),
        element("td", {}, yes(lease.acknowledged)), element("td", {}, lease.lastReport || "—"),
        element("td", {}, lease.deadlineInSeconds.toFixed(1) + " s"), element("td", {}, lease.cancelRequested ? "yes" : "")))) 
      : element("p", {class: "muted"}, "No task of this pipeline is held right now."),
    element("h4", {}, `Ledger (${leases.history.length} of ${leases.historyTotal}, newest first)`),
    element("table", {id: "ledger"},
      element("tr", {}, ["Attempt", "Holder", "Worker group", "Granted", "Acknowledged", "Reports", "Reassignment", "Ended", "Fenced statuses"].map((title) => element("th", {}, title))),
      leases.history.map((lease) => element("tr", {"data-attempt": lease.attempt},
        element("td", {}, lease.attempt), element("td", {}, lease.holder || "—"), element("td", {}, lease.workerGroup),
        element("td", {}, ago(lease.grantedSecondsAgo)), element("td", {}, yes(lease.acknowledged)),
        element("td", {}, lease.reports), element("td", {}, lease.reassignment ? "yes" : ""),
        element("td", {}, lease.end ? `${lease.end} (${ago(lease.endedSecondsAgo)})` : "live"),
        element("td", {}, lease.statusesFenced || "")))));
}

function ago(seconds) {
  if (seconds < 90) return seconds.toFixed(1) + " s ago";
  return Math.round(seconds / 60) + " min ago";
}

// ---- routing and refreshing -------------------------------------------------

function crumbs(route) {
  const nav = document.getElementById("crumbs");
  nav.replaceChildren(element("a", {href: "#/"}, "Pipelines"),
    route.page === "pipeline" ? element("span", {}, "› " + route.pipeline) : null);
}

let refreshing = false;

async function refresh(fresh) {
  if (refreshing && !fresh) return;
  refreshing = true;
  const route = view.route;
  const main = document.getElementById("main");
  try {
    if (route.page === "pipelines") await showPipelines(main, fresh);
    else if (route.tab === "runs") await showRuns(route, fresh);
    else if (route.tab === "leases") await showLeases(route, fresh);
    else await showGraph(route, fresh);
    setLive(true);
  } catch (error) {
    setLive(false);
    if (fresh) main.replaceChildren(element("p", {class: "error"}, String(error.message || error)));
  } finally {
    refreshing = false;
  }
}

function navigate() {
  const route = parseRoute();
  const previous = view.route;
  if (!previous || previous.pipeline !== route.pipeline) {
    view.selectedObject = null;
    view.selectedInstance = null;
    view.runsPage = 0;
    view.runsAsOf = null;
  }
  view.route = route;
  view.graphShape = null;
  crumbs(route);
  const main = document.getElementById("main");
  if (route.page === "pipeline") pipelineFrame(main, route);
  refresh(true);
}

window.addEventListener("hashchange", navigate);
navigate();
setInterval(() => { if (!document.hidden) refresh(false); }, REFRESH_MS);
