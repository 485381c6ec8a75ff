/** The package ships JavaScript only (CommonJS, `module.exports = parse`). */
declare module 'parse-prometheus-text-format' {
  namespace parsePrometheusTextFormat {
    /** One sample; histograms and summaries carry buckets / quantiles, count and sum instead of value. */
    interface PrometheusSample {
      value?: string;
      labels?: Record<string, string>;
      timestamp_ms?: string;
      buckets?: Record<string, string>;
      quantiles?: Record<string, string>;
      count?: string;
      sum?: string;
    }

    interface PrometheusMetricFamily {
      name: string;
      help: string;
      type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
      metrics: PrometheusSample[];
    }
  }

  function parsePrometheusTextFormat(text: string): parsePrometheusTextFormat.PrometheusMetricFamily[];

  export = parsePrometheusTextFormat;
}
