package dev.prefstream.trainer.stream;

import dev.prefstream.schemas.error.RetriableException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * One active trainer per model, the others standby, using Kafka's own group membership: every trainer instance of
 * a model joins the group {@code <groupId>.leader} subscribed to the single-partition topic
 * {@code _prefstream-trainer-leader.<model>}. Whoever is assigned partition 0 is the leader. The sticky assignor
 * keeps the partition where it is when a standby joins; when the leader dies, the group coordinator reassigns it
 * after the session timeout and a standby starts, from the newest checkpoint.
 *
 * <p>Why this and not the pairs group itself: the pairs consumer uses {@code assign()} and seeks to checkpoint
 * offsets, so a rebalance can never move pairs between instances or reset positions. Cost: a paused (not dead) leader
 * that misses its session timeout can overlap with the new leader until its next {@link #stillLeader()} check,
 * which the trainer performs before every step and before writing a checkpoint; give each instance its own
 * checkpoints directory so such an overlap cannot damage the other's files.
 */
public final class LeaderLease implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LeaderLease.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final TopicPartition partition;
    private final String modelName;
    private volatile boolean held;
    /** The group has completed a rebalance for this member (so "not held" means another instance holds it). */
    private volatile boolean joined;
    /** close() is leaving the group: the revocation that follows is a hand-over, not a loss. */
    private volatile boolean closing;

    /** The lease topic of a model. */
    public static String topicFor(String modelName) {
        return "_prefstream-trainer-leader." + modelName;
    }

    /**
     * @param kafka          client settings (bootstrap servers, security)
     * @param modelName      model whose lease this is
     * @param groupId        the trainer's group id; the lease group is {@code groupId + ".leader"}
     * @param sessionTimeout how long a dead leader keeps the lease
     * @param instanceId     static membership id (a restart with the same id takes the lease back at once), or null
     */
    public LeaderLease(Map<String, Object> kafka, String modelName, String groupId, Duration sessionTimeout, String instanceId) {
        String topic = topicFor(modelName);
        ensureTopic(kafka, topic);
        this.partition = new TopicPartition(topic, 0);
        this.modelName = modelName;
        Map<String, Object> c = new HashMap<>(kafka);
        c.remove("schema.registry.url");
        c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId + ".leader");
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "prefstream-trainer-lease-" + modelName);
        if (instanceId != null) {
            c.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
        }
        c.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) sessionTimeout.toMillis());
        c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(500, sessionTimeout.toMillis() / 4));
        // training steps happen between polls; a slow step must not cost the lease
        c.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) Duration.ofMinutes(30).toMillis());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                if (partitions.contains(partition)) {
                    held = false;
                    if (closing) {
                        log.info("Leader lease {} released", partition);
                    } else {
                        log.warn("Leader lease {} revoked", partition);
                    }
                }
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                joined = true;
                if (partitions.contains(partition)) {
                    held = true;
                    log.info("Leader lease {} acquired: this instance trains", partition);
                }
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                if (partitions.contains(partition)) {
                    held = false;
                    log.warn("Leader lease {} lost (session expired)", partition);
                }
            }
        });
    }

    /** Blocks, polling the lease group, until this instance leads or {@code stop} turns true; returns whether it leads. */
    public boolean awaitLeadership(BooleanSupplier stop) {
        boolean announced = false;
        while (!stop.getAsBoolean()) {
            try {
                consumer.poll(Duration.ofMillis(200));
            } catch (WakeupException e) {
                return held;
            }
            if (held) {
                return true;
            }
            if (!announced && joined) {
                log.info("Standby: waiting for the leader lease {}: another instance trains model '{}' (a trainer meant to "
                        + "train a separate model needs its own --model-name)", partition, modelName);
                announced = true;
            }
        }
        return held;
    }

    /** Keeps the membership alive (a non-blocking poll) and says whether this instance still leads. */
    public boolean stillLeader() {
        try {
            consumer.poll(Duration.ZERO);
        } catch (WakeupException e) {
            // shutdown in progress; the caller checks its stop flag
        }
        return held;
    }

    /** Interrupts a blocking {@link #awaitLeadership} from another thread. */
    public void wakeup() {
        consumer.wakeup();
    }

    @Override
    public void close() {
        closing = true;
        consumer.close(Duration.ofSeconds(5)); // leaving the group hands the lease to a standby at once
    }

    private static void ensureTopic(Map<String, Object> kafka, String topic) {
        Map<String, Object> a = new HashMap<>(kafka);
        a.remove("schema.registry.url");
        try (Admin admin = Admin.create(a)) {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())
                    .configs(Map.of("cleanup.policy", "compact")))).all().get(30, TimeUnit.SECONDS);
            log.info("Created leader lease topic {}", topic);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new RetriableException("cannot create leader lease topic " + topic + ": " + e.getCause(), e.getCause());
            }
        } catch (TimeoutException e) {
            throw new RetriableException("timed out creating leader lease topic " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException("interrupted creating leader lease topic " + topic, e);
        }
    }
}
