/**
 * Plain SVG charts (no chart library): cumulative series over time as step lines, and horizontal
 * bars. Each chart is an image with a text summary; the numbers are in a table beside it.
 */
const W = 640,
  H = 220,
  PAD_L = 56,
  PAD_R = 12,
  PAD_T = 10,
  PAD_B = 28
export const COLORS = ['#2f7de1', '#e1672f', '#2fa36b', '#b04fd1', '#d1b12f', '#d14f6f', '#4fb8d1', '#7a7a7a']

export interface Series {
  name: string
  points: { t: number; v: number }[]
}

export function LineChart(props: { series: Series[]; format: (v: number) => string; label: string }) {
  const all = props.series.flatMap((s) => s.points)
  if (!all.length) return <p class="muted">No data yet.</p>
  const t0 = Math.min(...all.map((p) => p.t)),
    t1 = Math.max(...all.map((p) => p.t), t0 + 1000)
  const vmax = Math.max(...all.map((p) => p.v)) || 1
  const x = (t: number) => PAD_L + ((t - t0) / (t1 - t0)) * (W - PAD_L - PAD_R)
  const y = (v: number) => H - PAD_B - (v / vmax) * (H - PAD_T - PAD_B)
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.label} data-chart="line">
        <line class="axis" x1={PAD_L} y1={H - PAD_B} x2={W - PAD_R} y2={H - PAD_B} />
        <line class="axis" x1={PAD_L} y1={PAD_T} x2={PAD_L} y2={H - PAD_B} />
        <text class="tick" x={PAD_L - 4} y={PAD_T + 8} text-anchor="end">
          {props.format(vmax)}
        </text>
        <text class="tick" x={PAD_L - 4} y={H - PAD_B} text-anchor="end">
          0
        </text>
        <text class="tick" x={PAD_L} y={H - 8}>
          {new Date(t0).toLocaleTimeString()}
        </text>
        <text class="tick" x={W - PAD_R} y={H - 8} text-anchor="end">
          {new Date(t1).toLocaleTimeString()}
        </text>
        {props.series.map((s, i) => {
          // a step line: the total holds until the next record
          let d = `M${x(t0)},${y(0)}`
          for (const p of s.points) d += ` H${x(p.t)} V${y(p.v)}`
          d += ` H${x(t1)}`
          return <path key={s.name} d={d} fill="none" stroke={COLORS[i % COLORS.length]} stroke-width="2" data-series={s.name} />
        })}
      </svg>
      <figcaption class="legend">
        {props.series.map((s, i) => (
          <span key={s.name}>
            <i style={{ background: COLORS[i % COLORS.length] }} />
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  )
}

export function BarChart(props: { rows: { name: string; v: number }[]; format: (v: number) => string; label: string }) {
  if (!props.rows.length) return <p class="muted">No data yet.</p>
  const rowH = 26,
    h = props.rows.length * rowH + 4,
    labelW = 160
  const vmax = Math.max(...props.rows.map((r) => r.v)) || 1
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${h}`} role="img" aria-label={props.label} data-chart="bar">
      {props.rows.map((r, i) => (
        <g key={r.name} transform={`translate(0 ${i * rowH + 2})`}>
          <text class="tick" x={labelW - 6} y={16} text-anchor="end">
            {r.name.length > 24 ? `${r.name.slice(0, 23)}…` : r.name}
          </text>
          <rect x={labelW} y={3} height={18} width={Math.max(1, (r.v / vmax) * (W - labelW - 90))} fill={COLORS[i % COLORS.length]} />
          <text class="tick" x={labelW + Math.max(1, (r.v / vmax) * (W - labelW - 90)) + 6} y={16}>
            {props.format(r.v)}
          </text>
        </g>
      ))}
    </svg>
  )
}
