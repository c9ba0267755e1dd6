import {
  Histogram,
  type MetricObjectWithValues,
  type MetricType,
  type MetricValueWithName,
  type Registry,
} from 'prom-client';

/** The request-duration buckets (seconds): SPEC §7's budgets fall on them. */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type Label = 'method' | 'route' | 'status';

/** One label set's counts: per bucket (not yet cumulative; the last counts what no bound takes). */
interface Series {
  labels: Record<Label, string>;
  counts: number[];
  sum: number;
  count: number;
}

/** A value as prom-client's histogram exports it: the series' labels shared, `le` its own. */
interface ExportedValue extends MetricValueWithName<Label> {
  sharedLabels?: Record<Label, string>;
  /** A bucket's (none kept here: prom-client's `null`). */
  exemplar?: null;
}

/**
 * The request-duration histogram, answered in prom-client's histogram format. prom-client's
 * `observe` builds, checks and hashes a label-set object on every call (1.8–3 µs of a 60–160 µs
 * resource or userinfo call in a loaded role process); here each answer finds its counts through
 * three map lookups. Its label values are bounded: methods Node's parser knows, the route patterns
 * the app declared (or `unmatched`), status codes.
 */
export class RequestDurations extends Histogram<Label> {
  readonly #name: string;
  readonly #help: string;
  /** route → method → status → counts. */
  #series = new Map<string, Map<string, Map<number, Series>>>();

  constructor(options: { name: string; help: string; registers: Registry[] }) {
    super({ ...options, labelNames: ['method', 'route', 'status'], buckets: BUCKETS });
    this.#name = options.name;
    this.#help = options.help;
  }

  /** Counts one answer (prom-client's own `observe` and `labels` are not counted here: not used). */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    const byStatus = within(within(this.#series, route), method);
    let series = byStatus.get(status);
    if (!series) {
      series = {
        labels: { method, route, status: String(status) },
        counts: new Array<number>(BUCKETS.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      byStatus.set(status, series);
    }
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > (BUCKETS[bucket] as number)) bucket++;
    series.counts[bucket] = (series.counts[bucket] as number) + 1;
    series.sum += seconds;
    series.count += 1;
  }

  override reset(): void {
    // prom-client's constructor resets too, before this class's fields exist.
    if (#series in this) this.#series = new Map();
    super.reset();
  }

  /** What the registry's text format reads (prom-client's own shape: `le` per value, the rest shared). */
  async getForPromString(): Promise<MetricObjectWithValues<ExportedValue>> {
    const values: ExportedValue[] = [];
    const bucketName = `${this.#name}_bucket`;
    for (const byMethod of this.#series.values())
      for (const byStatus of byMethod.values())
        for (const series of byStatus.values()) {
          let cumulative = 0;
          BUCKETS.forEach((bound, i) => {
            cumulative += series.counts[i] as number;
            values.push({
              metricName: bucketName,
              labels: { le: bound } as never,
              exemplar: null,
              sharedLabels: series.labels,
              value: cumulative,
            });
          });
          const shared = { sharedLabels: series.labels };
          values.push(
            {
              metricName: bucketName,
              labels: { le: '+Inf' } as never,
              ...shared,
              value: series.count,
              exemplar: null,
            },
            { metricName: `${this.#name}_sum`, labels: {}, ...shared, value: series.sum },
            { metricName: `${this.#name}_count`, labels: {}, ...shared, value: series.count },
          );
        }
    // prom-client's own answer carries no `collect` (its typings ask for one).
    const answer = {
      name: this.#name,
      help: this.#help,
      // prom-client reports the type as this string; its typings declare a numeric enum.
      type: 'histogram' as unknown as MetricType,
      values,
      aggregator: 'sum' as const,
    };
    return answer as MetricObjectWithValues<ExportedValue>;
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<Label>>> {
    const exported = await this.getForPromString();
    return {
      ...exported,
      values: exported.values.map(({ sharedLabels, labels, ...value }) => ({
        ...value,
        labels: { ...labels, ...sharedLabels },
      })),
    };
  }
}

/** The map under `key` in `outer`, made on first use. */
function within<K, K2, V>(outer: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = outer.get(key);
  if (!inner) {
    inner = new Map();
    outer.set(key, inner);
  }
  return inner;
}
