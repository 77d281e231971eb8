/**
 * A live line chart of a queue's counts (uPlot), from the samples the queue page takes while it
 * is open. The latest numbers are also on the page as text, for screen readers and exactness.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { clockTime } from '../format';

/** Whole seconds and minutes only: uPlot's own steps go below a second and read `:01.500`. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600];

export interface CountSample {
  /** Epoch seconds. */
  time: number;
  ready: number;
  delayed: number;
  inFlight: number;
}

// Distinct in hue, lightness and dash, each at least 4.5:1 on white.
const SERIES = [
  { label: 'ready', stroke: '#0b5cad', dash: undefined },
  { label: 'delayed', stroke: '#8a5300', dash: [6, 4] },
  { label: 'in flight', stroke: '#7a2fbf', dash: [2, 3] },
] as const;

export function CountsChart({ samples, minutes }: { samples: CountSample[]; minutes: number }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const chart = new uPlot(
      {
        width: Math.max(element.clientWidth, 300),
        height: 220,
        scales: {
          x: { time: true },
          y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] },
        },
        axes: [
          {
            stroke: '#333',
            grid: { stroke: '#e4e4e4' },
            space: 70,
            incrs: TIME_STEPS,
            values: (_u, ticks) => {
              const labels = ticks.map(clockTime);
              // The ticks are drawn on a canvas; this keeps them readable to tests and tools.
              element.dataset.ticks = labels.join(' ');
              return labels;
            },
          },
          { stroke: '#333', grid: { stroke: '#e4e4e4' }, values: (_u, ticks) => ticks.map((t) => String(t)) },
        ],
        series: [
          { label: 'time' },
          ...SERIES.map((series) => ({
            label: series.label,
            stroke: series.stroke,
            width: 2,
            dash: series.dash ? [...series.dash] : undefined,
            points: { show: false },
          })),
        ],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      [[], [], [], []],
      element,
    );
    plot.current = chart;
    const observer = new ResizeObserver(() => {
      chart.setSize({ width: Math.max(element.clientWidth, 300), height: 220 });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData([
      samples.map((s) => s.time),
      samples.map((s) => s.ready),
      samples.map((s) => s.delayed),
      samples.map((s) => s.inFlight),
    ]);
  }, [samples]);

  const last = samples[samples.length - 1];
  const summary = last
    ? `Counts over the last ${minutes} minutes; now ${last.ready} ready, ${last.delayed} delayed, ${last.inFlight} in flight.`
    : 'Counts over time: no sample yet.';
  return (
    <figure class="chart">
      <div ref={host} class="chart-host" role="img" aria-label={summary} />
      <figcaption>
        Counts sampled every few seconds while this page is open (last {minutes} minutes, times in UTC).
      </figcaption>
    </figure>
  );
}
