package dev.prefstream.cli.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Iterator;

/**
 * Routes logging for the demo: the services' INFO lines go to {@code DATA/demo.log} (complete record of the run),
 * the terminal shows only prefstream's errors (not the embedded broker's) so that the live view stays readable. Does nothing unless the slf4j
 * binding is logback (the executable's), e.g. under a test binding.
 */
public final class DemoLogging {

    private DemoLogging() {
    }

    /** Installs the routing; returns the log file, or null when logback is not the binding. */
    public static Path toFile(Path dataDir) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return null;
        }
        Path file = dataDir.resolve("demo.log").toAbsolutePath().normalize();
        ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            Appender<ILoggingEvent> a = it.next();
            Filter<ILoggingEvent> errorsOfOurs = new Filter<>() {
                @Override
                public FilterReply decide(ILoggingEvent e) {
                    // the embedded broker's own complaints (e.g. an overloaded controller on 2 busy cores) stay in the file
                    boolean broker = e.getLoggerName().startsWith("org.apache.kafka") || e.getLoggerName().startsWith("kafka");
                    return e.getLevel().isGreaterOrEqual(Level.ERROR) && !broker ? FilterReply.NEUTRAL : FilterReply.DENY;
                }
            };
            errorsOfOurs.setContext(ctx);
            errorsOfOurs.start();
            a.addFilter(errorsOfOurs);
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0} - %msg%n");
        encoder.start();
        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(ctx);
        appender.setName("DEMO_FILE");
        appender.setFile(file.toString());
        appender.setAppend(true);
        appender.setEncoder(encoder);
        appender.start();
        root.addAppender(appender);
        ctx.getLogger("ai.djl.util.cuda").setLevel(Level.ERROR); // "no GPU" is expected on the demo's CPU machines
        return file;
    }
}
