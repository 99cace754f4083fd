// Charts as inline SVG. Each reads without colour: values are written on the marks, series differ by
// line pattern and marker shape, and every chart has a data table beside it.

const SVG = "http://www.w3.org/2000/svg";

function el(name, attributes = {}, text = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

function frame(width, height, titleId, descId) {
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${titleId} ${descId}` });
  svg.classList.add("chart");
  return svg;
}

// A data table scrolls inside its own box: a wide one never widens the page on a phone.
export function table(caption, headers, rows) {
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = caption;
  const tableEl = document.createElement("table");
  const head = tableEl.createTHead().insertRow();
  for (const header of headers) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = header;
    head.appendChild(th);
  }
  const body = tableEl.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    row.forEach((value, index) => {
      const cell = index === 0 ? document.createElement("th") : document.createElement("td");
      if (index === 0) cell.scope = "row";
      cell.textContent = value;
      tr.appendChild(cell);
    });
  }
  const box = document.createElement("div");
  box.className = "table-scroll";
  box.append(tableEl);
  details.append(summary, box);
  return details;
}

// Two or more series over time: solid line with circles, dashed line with squares.
export function lineChart({ series, labels, titleId, descId }) {
  const width = 720, height = 280, left = 48, right = 16, top = 40, bottom = 36;
  const svg = frame(width, height, titleId, descId);
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const x = (i) => left + (labels.length <= 1 ? 0 : (i * (width - left - right)) / (labels.length - 1));
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  for (let step = 0; step <= 4; step++) {
    const value = Math.round((max * step) / 4);
    svg.append(el("line", { x1: left, x2: width - right, y1: y(value), y2: y(value), class: "grid" }));
    svg.append(el("text", { x: left - 6, y: y(value) + 4, "text-anchor": "end", class: "axis" }, value));
  }
  const every = Math.max(1, Math.ceil(labels.length / 8));
  labels.forEach((label, i) => {
    if (i % every === 0) svg.append(el("text", { x: x(i), y: height - 12, "text-anchor": "middle", class: "axis" }, label));
  });
  series.forEach((s, index) => {
    const points = s.values.map((v, i) => `${x(i)},${y(v)}`).join(" ");
    svg.append(el("polyline", { points, class: `series series-${index}`, fill: "none" }));
    s.values.forEach((v, i) => {
      const marker = index === 0
        ? el("circle", { cx: x(i), cy: y(v), r: 3, class: `marker series-${index}` })
        : el("rect", { x: x(i) - 3, y: y(v) - 3, width: 6, height: 6, class: `marker series-${index}` });
      marker.append(el("title", {}, `${labels[i]}: ${s.name} ${v}`));
      svg.append(marker);
    });
  });
  // the legend draws each series' own pattern and marker
  series.forEach((s, index) => {
    const lx = left + 10 + index * 180;
    svg.append(el("line", { x1: lx, x2: lx + 28, y1: 14, y2: 14, class: `series series-${index}` }));
    svg.append(index === 0
      ? el("circle", { cx: lx + 14, cy: 14, r: 3, class: `marker series-${index}` })
      : el("rect", { x: lx + 11, y: 11, width: 6, height: 6, class: `marker series-${index}` }));
    svg.append(el("text", { x: lx + 34, y: 18, class: "legend" }, s.name));
  });
  return svg;
}

// Weekday x hour: each cell shows its value; shade only repeats what the number says.
export function heatmap({ cells, weekdays, hours, titleId, descId, format }) {
  const cellW = 44, cellH = 30, left = 44, top = 26;
  const width = left + hours.length * cellW + 8, height = top + weekdays.length * cellH + 8;
  const svg = frame(width, height, titleId, descId);
  // drawn at its own size (never stretched to the page: a few hours would make giant cells), scrolled when wider
  svg.classList.add("heat");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  const values = [...cells.values()].filter((v) => v !== null);
  const max = Math.max(1, ...values);
  hours.forEach((h, i) => svg.append(el("text", { x: left + i * cellW + cellW / 2, y: 16, "text-anchor": "middle", class: "axis" }, `${h}h`)));
  weekdays.forEach((name, row) => {
    svg.append(el("text", { x: left - 6, y: top + row * cellH + cellH / 2 + 4, "text-anchor": "end", class: "axis" }, name));
    hours.forEach((h, col) => {
      const value = cells.get(`${row + 1}:${h}`) ?? null;
      const share = value === null ? 0 : value / max;
      const rect = el("rect", {
        x: left + col * cellW, y: top + row * cellH, width: cellW - 2, height: cellH - 2,
        class: value === null ? "cell empty" : "cell",
        // a presentation attribute, not a style (the page's CSP allows no inline styles); at most 55 %
        // strength, so the dark labels keep a contrast above 4.5:1 on every cell
        "fill-opacity": value === null ? 1 : (0.08 + 0.47 * share).toFixed(3),
      });
      rect.append(el("title", {}, `${name} ${h}h: ${value === null ? "—" : format(value)}`));
      svg.append(rect);
      if (value !== null) {
        svg.append(el("text", {
          x: left + col * cellW + cellW / 2 - 1, y: top + row * cellH + cellH / 2 + 4, "text-anchor": "middle",
          class: "cell-label",
        }, format(value)));
      }
    });
  });
  return svg;
}

// Horizontal bars, each labelled with its value.
export function barChart({ bars, titleId, descId, format, max = null }) {
  const barH = 22, gap = 6, left = 250, right = 120;
  const width = 720, height = bars.length * (barH + gap) + 8;
  const svg = frame(width, Math.max(height, 30), titleId, descId);
  const top = max ?? Math.max(1e-9, ...bars.map((b) => b.value));
  bars.forEach((bar, i) => {
    const y = 4 + i * (barH + gap);
    const w = ((width - left - right) * bar.value) / top;
    svg.append(el("text", { x: left - 8, y: y + barH / 2 + 4, "text-anchor": "end", class: "axis" }, bar.label));
    const rect = el("rect", { x: left, y, width: Math.max(w, 1), height: barH, class: "bar" });
    rect.append(el("title", {}, `${bar.label}: ${format(bar.value)}`));
    svg.append(rect);
    svg.append(el("text", { x: left + w + 6, y: y + barH / 2 + 4, class: "value" }, format(bar.value)));
  });
  return svg;
}
