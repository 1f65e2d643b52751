import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fill, h, uid } from '../dom';
import { plural } from '../format';

/** One line of a chart: its name, colour and how its values read. */
export interface Line {
  readonly label: string;
  readonly stroke: string;
  readonly format: (v: number) => string;
}

export interface TimeChart {
  readonly el: HTMLElement;
  /** times in ms since the epoch; one array of values per line. */
  update(times: readonly number[], values: readonly (readonly number[])[]): void;
}

const HEIGHT = 180;

/**
 * A time-series chart (uPlot, UTC axis) with a text line under it that says how many samples it
 * draws and the latest values: the canvas is a picture, the text is what screen readers read.
 */
export function timeChart(title: string, lines: readonly Line[], opts: { max?: number } = {}): TimeChart {
  const titleId = uid('chart');
  const plotArea = h('div', { class: 'chart-plot', role: 'img', 'aria-labelledby': titleId });
  const summary = h('p', { class: 'chart-summary muted' }, 'No samples yet.');
  const el = h('figure', { class: 'chart', 'data-points': 0 }, h('figcaption', { id: titleId }, title), plotArea, summary);
  let plot: uPlot | undefined;

  const resize = new ResizeObserver(() => {
    if (plot && plotArea.clientWidth > 0) plot.setSize({ width: plotArea.clientWidth, height: HEIGHT });
  });
  resize.observe(plotArea);

  const options = (width: number): uPlot.Options => ({
    width,
    height: HEIGHT,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    legend: { show: true, live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { y: { range: (_u, _min, max) => [0, opts.max ?? (max > 0 ? max * 1.15 : 1)] } },
    axes: [{}, { values: (_u, ticks) => ticks.map((t) => lines[0]!.format(t)), size: 80 }],
    series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.stroke, width: 2, value: (_u: uPlot, v: number | null) => (v === null ? '—' : l.format(v)) }))],
  });

  return {
    el,
    update(times, values) {
      const data: uPlot.AlignedData = [times.map((t) => t / 1000), ...values.map((v) => [...v])];
      el.dataset.points = String(times.length);
      if (!times.length) {
        plot?.destroy();
        plot = undefined;
        fill(plotArea);
        summary.textContent = 'No samples in this window yet.';
        return;
      }
      if (plot) plot.setData(data);
      else plot = new uPlot(options(plotArea.clientWidth || 600), data, plotArea);
      const latest = lines.map((l, i) => `${l.label} ${l.format(values[i]!.at(-1)!)}`).join(', ');
      summary.textContent = `${plural(times.length, 'sample')}; latest: ${latest}.`;
    },
  };
}
