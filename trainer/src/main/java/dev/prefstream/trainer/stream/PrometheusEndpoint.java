package dev.prefstream.trainer.stream;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/** Serves a Prometheus registry's scrape text at {@code GET /metrics} with the JDK's HttpServer (one daemon thread). */
public final class PrometheusEndpoint implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PrometheusEndpoint.class);

    private final HttpServer server;

    /**
     * @param registry what to export
     * @param port     TCP port, 0 for any free one
     */
    public PrometheusEndpoint(PrometheusMeterRegistry registry, int port) {
        this(registry, "localhost", port);
    }

    /**
     * @param host interface to bind: {@code localhost} by default (metrics name topics, models and hosts, which is
     *             nobody else's business); {@code 0.0.0.0} for every interface, where a scraper on another machine
     *             needs it
     */
    public PrometheusEndpoint(PrometheusMeterRegistry registry, String host, int port) {
        // idle or trickling scrapers are disconnected after 30 s (the JDK server's process-wide limits)
        System.setProperty("sun.net.httpserver.maxReqTime", System.getProperty("sun.net.httpserver.maxReqTime", "30"));
        System.setProperty("sun.net.httpserver.maxRspTime", System.getProperty("sun.net.httpserver.maxRspTime", "30"));
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + " for /metrics", e);
        }
        server.createContext("/metrics", exchange -> {
            try (exchange) {
                if (!"GET".equals(exchange.getRequestMethod())) {
                    exchange.sendResponseHeaders(405, -1);
                    return;
                }
                byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "prefstream-metrics-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        log.info("Prometheus metrics at http://{}:{}/metrics", host, port());
    }

    /** The port actually bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
