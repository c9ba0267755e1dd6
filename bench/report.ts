/** One benchmark figure: a measured value next to its baseline measured in the same run. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  baselineName: string;
  /** Ratio we aim for (value / baseline), when the issue sets one. */
  target?: number;
  /** For latencies lower is better: the ratio printed is baseline / value. */
  lowerIsBetter?: boolean;
  /**
   * The ratio measured slice by slice (each measured slice next to a baseline slice), median of
   * `pairs`: steadier than value / baseline on a machine whose speed drifts. Printed instead.
   */
  paired?: { ratio: number; pairs: number };
  /** Lines printed under the figure (latencies, CPU split, load average). */
  detail?: string[];
}

export function printFigure(figure: Figure): void {
  const ratio =
    figure.paired?.ratio ??
    (figure.lowerIsBetter ? figure.baseline / figure.value : figure.value / figure.baseline);
  const how = figure.paired ? ` (median of ${figure.paired.pairs} paired slices)` : '';
  const target =
    figure.target === undefined
      ? ''
      : ` (target ≥ ${figure.target}: ${ratio >= figure.target ? 'met' : 'NOT met'})`;
  console.log(
    `${figure.name}: ${figure.value.toFixed(1)} ${figure.unit} vs ${figure.baselineName} ${figure.baseline.toFixed(1)} ${figure.unit} → ratio ${ratio.toFixed(2)}${how}${target}`,
  );
  for (const line of figure.detail ?? []) console.log(`    ${line}`);
}
