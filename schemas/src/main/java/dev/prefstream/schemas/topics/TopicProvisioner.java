package dev.prefstream.schemas.topics;

import dev.prefstream.schemas.TopicLayout.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates the topics of a {@link dev.prefstream.schemas.TopicLayout} that do not exist yet, against any cluster.
 * Idempotent: existing topics are left alone (their partition count and configs are not changed), so services may
 * call it on every start. Replication factor is left to the broker's {@code default.replication.factor}.
 */
public final class TopicProvisioner {

    private static final Logger log = LoggerFactory.getLogger(TopicProvisioner.class);

    private final Admin admin;
    private final Duration timeout;

    public TopicProvisioner(Admin admin, Duration timeout) {
        this.admin = admin;
        this.timeout = timeout;
    }

    /**
     * Ensures every topic in {@code specs} exists.
     *
     * @return names of the topics this call created (empty when all existed)
     * @throws TopicProvisioningException if the cluster cannot be reached or refuses a topic
     */
    public List<String> ensure(List<TopicSpec> specs) {
        try {
            Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (TopicSpec spec : specs) {
                if (!existing.contains(spec.name())) {
                    missing.add(new NewTopic(spec.name(), Optional.of(spec.partitions()), Optional.empty()).configs(spec.configs()));
                }
            }
            if (missing.isEmpty()) {
                return List.of();
            }
            List<String> created = new ArrayList<>();
            Map<String, org.apache.kafka.common.KafkaFuture<Void>> results = admin.createTopics(missing).values();
            for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> result : results.entrySet()) {
                try {
                    result.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    created.add(result.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e; // someone else creating it concurrently is fine; anything else is not
                    }
                }
            }
            if (!created.isEmpty()) {
                log.info("created topics {}", created);
            }
            return List.copyOf(created);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TopicProvisioningException("interrupted while creating topics", e);
        } catch (ExecutionException e) {
            throw new TopicProvisioningException("creating topics failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new TopicProvisioningException("cluster did not answer within " + timeout + " while creating topics", e);
        }
    }

    /** The cluster refused or did not answer a topic creation. */
    public static final class TopicProvisioningException extends RuntimeException {
        public TopicProvisioningException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
