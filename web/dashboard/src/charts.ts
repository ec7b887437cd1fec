// Charts on uPlot (canvas, about 50 KB minified, draws 100 000 points in a few milliseconds):
// each chart is a <figure> with a caption, the canvas (role img, labelled) and its numbers in a
// table under "Data", so keyboard and screen-reader users get the same information.
import uPlot from "uplot";
import { h, table } from "./dom";

const palette = ["#2f7ed8", "#e4572e", "#29a36a", "#a05fd0", "#f3a712", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

export function color(i: number): string {
  return palette[i % palette.length];
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

// Whole-number tick steps, for an x axis that counts (movements, bets): never "1.05".
const WHOLE_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000, 100000];

// Steps of whole days, for a series of dates (each at 12:00 UTC, format.ts secs): ticks at those
// noons, named by their date, never "10am" between two of them.
const DAY = 86400;
const DAY_STEPS = [1, 2, 7, 14, 28, 91, 182, 364, 728, 1456, 3640].map((d) => d * DAY);
const isoDay = (_u: uPlot, v: number[]) => v.map((x) => new Date(x * 1000).toISOString().slice(0, 10));
const noons = (_u: uPlot, _axis: number, min: number, max: number, incr: number) => {
  const out: number[] = [];
  for (let t = Math.ceil((min - DAY / 2) / DAY) * DAY + DAY / 2; t <= max; t += incr) out.push(t);
  return out;
};

function axes(xTime: boolean, xWhole: boolean, xDays: boolean, yLabel: string, yTick?: (v: number) => string): uPlot.Axis[] {
  const stroke = cssVar("--fg-muted", "#666");
  const grid = { stroke: cssVar("--grid", "#ddd"), width: 1 };
  const x: uPlot.Axis = xDays ? { incrs: DAY_STEPS, splits: noons, values: isoDay, space: 90 }
    : xTime ? {} : { values: (_u: uPlot, v: number[]) => v.map((n) => String(+n.toFixed(3))), ...(xWhole ? { incrs: WHOLE_STEPS } : {}) };
  return [
    { stroke, grid, ticks: grid, ...x },
    { stroke, grid, ticks: grid, label: yLabel, size: 60, ...(yTick ? { values: (_u: uPlot, v: number[]) => v.map(yTick) } : {}) },
  ];
}

export interface Series { label: string; values: (number | null)[]; color?: string; points?: boolean; bars?: boolean; dash?: number[] }

export interface ChartSpec {
  title: string;
  describe: string;           // the text alternative of the picture
  x: number[];
  xTime?: boolean;
  xWhole?: boolean;           // x counts things: ticks at whole numbers only
  xDays?: boolean;            // x holds dates (12:00 UTC each, format.ts secs): ticks on whole days, named by date
  xLabel?: string;
  yLabel: string;
  series: Series[];
  yRange?: [number, number];
  xRange?: [number, number];
  height?: number;
  formatX?: (v: number) => string;
  formatY?: (v: number | null) => string;
  formatYTick?: (v: number) => string; // the y axis's labels (default: the plain numbers)
}

const live: { plot: uPlot; box: HTMLElement }[] = [];
let resizeHooked = false;

function hookResize(): void {
  if (resizeHooked) return;
  resizeHooked = true;
  let t: number | undefined;
  window.addEventListener("resize", () => {
    window.clearTimeout(t);
    t = window.setTimeout(() => {
      for (let i = live.length - 1; i >= 0; i--) {
        const { plot, box } = live[i];
        if (!box.isConnected) {
          plot.destroy();
          live.splice(i, 1);
        } else {
          plot.setSize({ width: Math.max(240, box.clientWidth), height: plot.height });
        }
      }
    }, 100);
  });
}

export function chart(spec: ChartSpec): HTMLElement {
  const box = h("div", { class: "chart", role: "img", "aria-label": `${spec.title}: ${spec.describe}` });
  const fx = spec.formatX ?? ((v: number) => (spec.xTime ? new Date(v * 1000).toISOString().slice(0, 16).replace("T", " ") : String(v)));
  const fy = spec.formatY ?? ((v: number | null) => (v === null || v === undefined ? "—" : String(+v.toFixed(4))));
  const rows = spec.x.map((x, i) => [fx(x), ...spec.series.map((s) => fy(s.values[i] ?? null))]);
  const fig = h("figure", { class: "figure" },
    h("figcaption", {}, spec.title),
    box,
    h("details", {}, h("summary", {}, "Data"),
      table(spec.title, [spec.xLabel ?? "x", ...spec.series.map((s) => s.label)], rows, "data")));
  // a single x value has no extent of its own: give it a day (or a unit) either side and a marker
  const lone = spec.x.length === 1;
  const pad = spec.xTime ? 86400 : 1;
  const xRange = spec.xRange ?? (lone ? ([spec.x[0] - pad, spec.x[0] + pad] as [number, number]) : undefined);
  const opts: uPlot.Options = {
    width: 600,
    height: spec.height ?? 260,
    scales: {
      x: { time: !!spec.xTime, ...(xRange ? { range: xRange } : {}) },
      y: spec.yRange ? { range: spec.yRange } : {},
    },
    legend: { show: spec.series.length > 1 },
    axes: axes(!!spec.xTime, !!spec.xWhole, !!spec.xDays, spec.yLabel, spec.formatYTick),
    // room on the right for half of a date label centred on the last day
    ...(spec.xDays ? { padding: [null, 40, null, null] as uPlot.Padding } : {}),
    series: [
      { label: spec.xLabel ?? "x", value: (_u, v) => (v === null ? "—" : fx(v)) },
      ...spec.series.map((s, i): uPlot.Series => ({
        label: s.label,
        stroke: s.color ?? color(i),
        width: 2,
        dash: s.dash,
        fill: s.bars ? `${s.color ?? color(i)}99` : undefined,
        paths: s.bars ? uPlot.paths.bars!({ size: [0.9, 60] }) : s.points ? () => null : undefined,
        points: { show: s.points || lone ? true : undefined, size: s.points || lone ? 9 : 5 },
        spanGaps: !s.points,
        value: (_u, v) => fy(v),
      })),
    ],
  };
  const data = [spec.x, ...spec.series.map((s) => s.values)] as uPlot.AlignedData;
  // uPlot measures its box: draw once the figure is in the document
  requestAnimationFrame(() => {
    if (!box.isConnected) return;
    opts.width = Math.max(240, box.clientWidth);
    const plot = new uPlot(opts, data, box);
    plot.root.querySelector("canvas")?.setAttribute("aria-hidden", "true");
    live.push({ plot, box });
    box.dataset.drawn = "1";
  });
  hookResize();
  return fig;
}

// A horizontal bar per item, drawn in HTML: for signed contributions with their labels.
export function hbars(title: string, items: { label: string; value: number; text: string }[]): HTMLElement {
  const max = Math.max(1e-12, ...items.map((i) => Math.abs(i.value)));
  const list = h("ul", { class: "hbars", "aria-label": title });
  for (const it of items) {
    const bar = h("span", { class: `bar ${it.value >= 0 ? "pos" : "neg"}` });
    bar.style.width = `${(Math.abs(it.value) / max) * 50}%`; // CSSOM, allowed by the CSP
    list.appendChild(h("li", {}, h("span", { class: "label" }, it.label), h("span", { class: "track" }, bar), h("span", { class: "val" }, it.text)));
  }
  return h("figure", { class: "figure" }, h("figcaption", {}, title), list);
}
