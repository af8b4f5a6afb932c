package dev.prefstream.ingest.metrics;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

import java.util.Map;
import java.util.TreeMap;

/**
 * A snapshot of the {@code *-total} counters of {@link IngestMetrics}, summed over threads and keyed by
 * {@code name{tag=value,...}} (e.g. {@code dropped{kind=rating,reason=tie}}), for logs, the benchmark and tests.
 */
public record IngestCounters(Map<String, Long> totals) {

    public IngestCounters {
        totals = Map.copyOf(totals);
    }

    public static IngestCounters of(Map<MetricName, ? extends Metric> metrics) {
        Map<String, Long> totals = new TreeMap<>();
        metrics.forEach((name, metric) -> {
            if (IngestMetrics.GROUP.equals(name.group()) && name.name().endsWith("-total")) {
                String base = name.name().substring(0, name.name().length() - "-total".length());
                Map<String, String> tags = new TreeMap<>(name.tags());
                tags.remove("thread-id");
                String key = tags.isEmpty() ? base : base + tags.toString().replace(", ", ",");
                Object value = metric.metricValue();
                long count = value instanceof Number n ? Math.round(n.doubleValue()) : 0;
                totals.merge(key, count, Long::sum);
            }
        });
        return new IngestCounters(totals);
    }

    /** One counter, 0 when never recorded. Key as in {@link #totals()}. */
    public long get(String key) {
        return totals.getOrDefault(key, 0L);
    }

    /** Sum of every counter whose name is {@code name}, whatever its tags. */
    public long sum(String name) {
        long sum = 0;
        for (Map.Entry<String, Long> e : totals.entrySet()) {
            String k = e.getKey();
            if (k.equals(name) || k.startsWith(name + "{")) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    /** One line for the log: the totals of every counter, sorted. */
    public String summary() {
        return totals.toString();
    }
}
