// Chart.js, with only the parts the app draws (bars and lines), behind one
// small component. The canvas is an image with a label; every chart also
// has its figures in a table next to it, for screen readers and print.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Filler);
Chart.defaults.font.family = getComputedStyleFont();
Chart.defaults.color = '#4a5263';
Chart.defaults.animation = false;

function getComputedStyleFont(): string {
  return 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
}

export function ChartCanvas({ config, label, height = 220 }: { config: ChartConfiguration; label: string; height?: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const chart = new Chart(ref.current, { ...config, options: { responsive: true, maintainAspectRatio: false, ...config.options } });
    return () => chart.destroy();
  }, [config]);
  return (
    <div class="chart" style={{ height: `${height}px` }}>
      <canvas ref={ref} role="img" aria-label={label} />
    </div>
  );
}

export const colors = {
  ok: '#1f7a55',
  warn: '#c2410c',
  risk: '#b42318',
  brand: '#2c4bb5',
  muted: '#8a93a6',
  grid: '#e6e9ef',
};
