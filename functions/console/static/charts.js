// Charts drawn as SVG with DOM calls (never markup from text): a line chart with titled axes and a
// legend, horizontal bars, and a heat map. The same conventions as the reports' SVG charts
// (shared/reports/render/charts.py): one scale per currency, every value in a tooltip.

const NS = "http://www.w3.org/2000/svg";
const COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"];

function s(tag, attrs, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function svgRoot(id, title, width, height, ...children) {
  // Its natural size (CSS lets it shrink to the page, never grow past it: small charts stay small).
  return s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": title, class: "chart", "data-chart": id },
    s("title", {}, title), ...children);
}

export function niceStep(span) {
  if (span <= 0) return 1;
  const raw = span / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) {
    if (power * factor >= raw) return power * factor;
  }
  return power * 10;
}

function shown(value) {
  return Number.isInteger(value) ? value.toLocaleString("en") : value.toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

function empty(text) {
  const p = document.createElement("p");
  p.className = "muted no-data";
  p.textContent = text;
  return p;
}

// series: [{ label, values: [number|null, ...] }] over xLabels.
export function lineChart({ id, title, xLabel, yLabel, xLabels, series, emptyText }) {
  const values = series.flatMap((line) => line.values).filter((v) => v !== null && v !== undefined);
  if (!values.length || !xLabels.length) return empty(emptyText || "Nothing to show for this period.");
  const width = 1100, height = 320, left = 80, right = 20, top = 14, bottom = 60, legendRow = 20;
  const plotW = width - left - right, plotH = height - top - bottom;
  const low = Math.min(0, ...values), high = Math.max(0, ...values);
  const step = values.every(Number.isInteger) ? Math.max(1, niceStep(high - low)) : niceStep(high - low);
  const min = Math.floor(low / step) * step;
  let max = Math.ceil(high / step) * step;
  if (max === min) max = min + step;
  const n = xLabels.length;
  const x = (i) => left + (n > 1 ? (plotW * i) / (n - 1) : plotW / 2);
  const y = (v) => top + (plotH * (max - v)) / (max - min);
  const parts = [];
  for (let tick = min; tick <= max + step / 1e6; tick += step) {
    parts.push(s("line", { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: "grid" }));
    parts.push(s("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end" }, shown(Math.round(tick * 100) / 100)));
  }
  parts.push(s("line", { x1: left, x2: width - right, y1: y(0), y2: y(0), class: "axis" }));
  parts.push(s("line", { x1: left, x2: left, y1: top, y2: top + plotH, class: "axis" }));
  // Every few labels, so that none overlaps: the first and last lean inwards (a whole label's width on
  // one side), so labels are 1.5 widths apart; the last is always shown, the one before it dropped if near.
  const widest = Math.max(...xLabels.map((label) => label.length)) * 7 + 10;
  const every = n > 1 ? Math.max(1, Math.ceil((1.5 * widest * (n - 1)) / plotW)) : 1;
  xLabels.forEach((label, i) => {
    if ((i % every === 0 && n - 1 - i >= every) || i === n - 1) {
      // The first and last labels lean inwards, so that neither is cut at the chart's edge.
      const anchor = n > 1 && i === 0 ? "start" : n > 1 && i === n - 1 ? "end" : "middle";
      parts.push(s("text", { x: x(i), y: top + plotH + 18, "text-anchor": anchor, "data-x-label": "" }, label));
    }
  });
  parts.push(s("text", { x: left + plotW / 2, y: top + plotH + 42, "text-anchor": "middle", class: "axis-title", "data-axis": "x" }, xLabel));
  parts.push(s("text", { transform: `translate(14 ${top + plotH / 2}) rotate(-90)`, "text-anchor": "middle", class: "axis-title", "data-axis": "y" }, yLabel));
  series.forEach((line, k) => {
    const colour = COLOURS[k % COLOURS.length];
    const group = s("g", { "data-series": line.label });
    let run = [];
    const flush = () => {
      if (run.length) group.append(s("polyline", { points: run.join(" "), fill: "none", stroke: colour, "stroke-width": 2 }));
      run = [];
    };
    line.values.slice(0, n).forEach((value, i) => {
      if (value === null || value === undefined) {
        flush();
        return;
      }
      run.push(`${x(i).toFixed(1)},${y(value).toFixed(1)}`);
      group.append(s("circle", { cx: x(i).toFixed(1), cy: y(value).toFixed(1), r: 3, fill: colour },
        s("title", {}, `${line.label}, ${xLabels[i]}: ${shown(value)}`)));
    });
    flush();
    parts.push(group);
  });
  series.forEach((line, k) => {
    const top0 = height + k * legendRow;
    parts.push(s("g", { "data-legend": line.label },
      s("rect", { x: left, y: top0, width: 14, height: 14, fill: COLOURS[k % COLOURS.length] }),
      s("text", { x: left + 20, y: top0 + 12 }, line.label)));
  });
  return svgRoot(id, title, width, height + series.length * legendRow + 6, ...parts);
}

// groups: [{ heading, bars: [{ label, value, shown }] }], each group on its own scale.
export function barChart({ id, title, groups, emptyText }) {
  const bars = groups.flatMap((group) => group.bars);
  if (!bars.length) return empty(emptyText || "Nothing to show for this period.");
  const labelW = Math.min(28, Math.max(...bars.map((bar) => bar.label.length))) * 7 + 12;
  const area = 420, row = 22;
  const width = labelW + area + 140;
  const parts = [];
  let top = 0;
  for (const group of groups) {
    if (group.heading) {
      parts.push(s("text", { x: 0, y: top + 16, class: "axis-title" }, group.heading));
      top += 24;
    }
    const largest = Math.max(0, ...group.bars.map((bar) => bar.value));
    parts.push(s("line", { x1: labelW, x2: labelW, y1: top, y2: top + row * group.bars.length, class: "axis" }));
    for (const bar of group.bars) {
      const w = largest > 0 && bar.value > 0 ? (bar.value / largest) * area : 0;
      const label = bar.label.length > 28 ? `${bar.label.slice(0, 27)}…` : bar.label;
      parts.push(s("g", {},
        s("title", {}, `${bar.label}: ${bar.shown}`),
        s("text", { x: labelW - 6, y: top + 15, "text-anchor": "end" }, label),
        s("rect", { x: labelW, y: top + 3, width: w.toFixed(1), height: 16, fill: COLOURS[0], "data-value": bar.value }),
        s("text", { x: labelW + w + 4, y: top + 15 }, bar.shown)));
      top += row;
    }
  }
  return svgRoot(id, title, width, top + 8, ...parts);
}

function shade(share) {
  const v = Math.max(0, Math.min(1, share));
  const mix = (a) => Math.round(255 - (255 - a) * v);
  return `rgb(${mix(0x4e)},${mix(0x79)},${mix(0xa7)})`;
}

// rows x columns of shares 0..1 (null: no cell).
export function heatMap({ id, title, rowLabel, columnLabel, rows, columns, values, emptyText }) {
  if (!rows.length || !columns.length) return empty(emptyText || "Nothing to show for this period.");
  const left = 100, top = 44, cw = 54, ch = 24;
  // Wide enough for the grid, the column axis title and the 0-100 % scale, whichever is widest.
  const width = left + Math.max(cw * columns.length, columnLabel.length * 7.5, 260) + 20, height = top + ch * rows.length + 34;
  const parts = [
    s("text", { x: left, y: 14, class: "axis-title", "data-axis": "x" }, columnLabel),
    s("text", { x: 2, y: top - 6, class: "axis-title", "data-axis": "y" }, rowLabel),
  ];
  columns.forEach((name, j) => parts.push(s("text", { x: left + cw * j + cw / 2, y: top - 6, "text-anchor": "middle" }, name)));
  rows.forEach((name, i) => {
    const y = top + ch * i;
    parts.push(s("text", { x: 2, y: y + 16 }, name));
    (values[i] || []).slice(0, columns.length).forEach((share, j) => {
      if (share === null || share === undefined) return;
      const percent = `${Math.round(share * 100)}%`;
      parts.push(s("g", {},
        s("title", {}, `${name}, ${columns[j]}: ${percent}`),
        s("rect", { x: left + cw * j, y, width: cw - 2, height: ch - 2, fill: shade(share), class: "cell", "data-share": share }),
        s("text", { x: left + cw * j + cw / 2 - 1, y: y + 16, "text-anchor": "middle", fill: share > 0.5 ? "#fff" : "#222" }, percent)));
    });
  });
  const y = top + ch * rows.length + 10;
  for (let k = 0; k <= 10; k += 1) parts.push(s("rect", { x: left + k * 20, y, width: 20, height: 10, fill: shade(k / 10), class: "cell" }));
  parts.push(s("text", { x: left - 6, y: y + 9, "text-anchor": "end" }, "0%"));
  parts.push(s("text", { x: left + 226, y: y + 9, "data-legend": "scale" }, "100%"));
  return svgRoot(id, title, width, height, ...parts);
}
