package dev.prefstream.cli;

import dev.prefstream.devstack.testing.KafkaClusterExtension;
import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.serde.AvroSerdes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** prefstream ingest / import / bench ingest as a user runs them. */
class IngestCommandsTest {

    @RegisterExtension
    static final KafkaClusterExtension kafka = new KafkaClusterExtension();

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    /** Runs the command line, capturing System.out/err (the import command writes its progress and summary there). */
    private static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter picocliOut = new StringWriter();
        StringWriter picocliErr = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine cli = Main.commandLine();
            cli.setOut(new PrintWriter(picocliOut, true));
            cli.setErr(new PrintWriter(picocliErr, true));
            int exit = cli.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8) + picocliOut, err.toString(StandardCharsets.UTF_8) + picocliErr);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void helpOfEachCommandNamesItsOptions() {
        assertThat(run("ingest", "--help").out()).contains("--bootstrap").contains("--registry").contains("--config");
        assertThat(run("import", "--help").out()).contains("--format").contains("FILE.jsonl");
        assertThat(run("bench", "ingest", "--help").out()).contains("--events");
    }

    @Test
    void ingestRunsUntilSigtermAndThenClosesCleanly() throws Exception {
        Path config = Files.writeString(dir.resolve("ingest.properties"), String.join("\n",
                "application.id=ingest-sigterm-test",
                "state.dir=" + dir.resolve("state"),
                "ingest.topic.events=" + kafka.freshTopic("sigterm-events", 1),
                "ingest.topic.pairs=" + kafka.freshTopic("sigterm-pairs", 1),
                "ingest.topic.dlq=" + kafka.freshTopic("sigterm-dlq", 1)) + "\n");
        Path log = dir.resolve("ingest.log");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "ingest",
                "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(), "--config", config.toString(),
                "--metrics-port", "0")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(90).toNanos();
            while (!Files.readString(log).contains("-> RUNNING")) {
                assertThat(process.isAlive()).as("ingest exited early:%n%s", Files.readString(log)).isTrue();
                assertThat(System.nanoTime()).as("ingest did not reach RUNNING:%n%s", Files.readString(log)).isLessThan(deadline);
                Thread.sleep(100);
            }
            java.util.regex.Matcher port = java.util.regex.Pattern.compile("Prometheus metrics at http://localhost:(\\d+)/metrics")
                    .matcher(Files.readString(log));
            assertThat(port.find()).as("metrics endpoint announced:%n%s", Files.readString(log)).isTrue();
            String scrape = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + port.group(1) + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(scrape).contains("kafka_stream_");
            assertThat(Files.readString(log)).contains("prefstream ingest: Kafka Streams state in " + dir.resolve("state").resolve("ingest-sigterm-test"));
            process.destroy(); // SIGTERM
            assertThat(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(log)).contains("PENDING_SHUTDOWN -> NOT_RUNNING").contains("ingest stopped cleanly");
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void reprocessWithNothingAfterTheTimestampExitsZeroAtOnce() throws Exception {
        // nothing to reprocess: stage 1 is "caught up" before Kafka Streams has created its repartition topic,
        // which must read as nothing for stage 2 to do, not as an error
        String events = kafka.freshTopic("reprocess-none-events", 1);
        kafka.produceBytes(events, List.of(java.util.Map.entry("k".getBytes(StandardCharsets.UTF_8), new byte[]{0, 0, 0, 0, 1})));
        String pairs = "reprocess-none-pairs-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        Path config = Files.writeString(dir.resolve("reprocess.properties"), "state.dir=" + dir.resolve("state") + "\n");
        long future = System.currentTimeMillis() + java.time.Duration.ofDays(1).toMillis();
        Run r = run("reprocess", "--from-timestamp", Long.toString(future), "--to-topic", pairs, "--events-topic", events,
                "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(), "--config", config.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("caught up with the events present at start");
    }

    @Test
    void importOfAnUnreadableFileExitsWithTwo() {
        Run r = run("import", "--format", "trl", "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(),
                dir.resolve("nope.jsonl").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("cannot read").contains("nope.jsonl");
    }

    @Test
    void importOfAnUnknownFormatIsAUsageError() {
        Run r = run("import", "--format", "csv", dir.resolve("x.jsonl").toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("unknown format 'csv'");
    }

    @Test
    void importOfABinaryFileProducesNothingAndExitsWithTwo() throws Exception {
        byte[] binary = new byte[4096];
        new java.util.Random(17).nextBytes(binary);
        binary[0] = 0x7f; // not a gzip, parquet or JSON start
        Path file = Files.write(dir.resolve("model.bin"), binary);
        Run r = run("import", "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(),
                "--topic", kafka.freshTopic("import-binary", 1), file.toString());
        // exited 0 with "format: none ... imported 0 events"
        assertThat(r.exit()).as(r.err()).isEqualTo(ExitCodes.NO_RESULT);
        assertThat(r.err()).contains("model.bin has ").contains("but produced no event (no line is a JSON object");
    }

    @Test
    void importOfATrlFileAsHhRlhfRejectsEveryLineAndExitsWithTwo() throws Exception {
        Path file = Files.writeString(dir.resolve("trl.jsonl"), String.join("\n",
                "{\"prompt\":\"Hi\",\"chosen\":\"Hello!\",\"rejected\":\"Go away.\"}",
                "{\"prompt\":\"2+2?\",\"chosen\":\"4\",\"rejected\":\"5\"}") + "\n");
        Run r = run("import", "--format", "hh-rlhf", "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(),
                "--topic", kafka.freshTopic("import-wrong-format", 1), file.toString());
        assertThat(r.exit()).as(r.err()).isEqualTo(ExitCodes.NO_RESULT);
        assertThat(r.err()).contains("trl.jsonl has 2 non-blank lines but produced no event (every line rejected as hh-rlhf")
                .contains("lines rejected:  2");
        assertThat(r.out()).contains("imported 0 events");
    }

    @Test
    void importOfAnEmptyFileIsNotAFailure() throws Exception {
        Path file = Files.writeString(dir.resolve("empty.jsonl"), "\n\n");
        Run r = run("import", "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(),
                "--topic", kafka.freshTopic("import-empty", 1), file.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("imported 0 events");
    }

    @Test
    void importWithTheRegistryDownFailsInOneLineNamingIt() throws Exception {
        Path file = Files.writeString(dir.resolve("one.jsonl"), "{\"prompt\":\"Hi\",\"chosen\":\"a\",\"rejected\":\"b\"}\n");
        String registry = "http://localhost:" + ClosedPortTest.closedPort();
        Run r = run("import", "--bootstrap", kafka.bootstrapServers(), "--registry", registry, file.toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(r.err().strip()).startsWith("prefstream import: no schema registry reachable at " + registry)
                .contains("`prefstream up`").doesNotContain("\n").doesNotContain("\tat ");
    }

    @Test
    void importDetectsTheFormatByDefaultAndSaysWhich() throws Exception {
        String topic = kafka.freshTopic("import-auto", 1);
        Path file = Files.writeString(dir.resolve("openai.jsonl"),
                "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"2+2?\"}]},\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"4\"}],\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"5\"}]}\n");
        Run r = run("import", "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(), "--topic", topic, file.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("detected format openai from the keys [input, preferred_output, non_preferred_output] of line 1")
                .contains("format:          openai");
        assertThat(r.out()).contains("imported 1 events");
    }

    @Test
    void importReadsAGzippedJsonArrayWithABomAndCountsNonObjects() throws Exception {
        String topic = kafka.freshTopic("import-gz", 1);
        byte[] json = ("\uFEFF[{\"prompt\":\"Hi\",\"completion\":\"Hello!\",\"label\":true},\r\n"
                + " {\"prompt\":\"Hi\",\"completion\":\"Go away.\",\"label\":false}, 7]").getBytes(StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write(json);
        }
        Path file = Files.write(dir.resolve("kto.json.gz"), gz.toByteArray());
        Run r = run("import", "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(), "--topic", topic, file.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("detected format trl-unpaired").contains("format:          trl-unpaired (JSON array, gzip)")
                .contains("lines read:      3").contains("not_an_object: 1").contains("100%");
        assertThat(r.out()).contains("imported 2 events");
    }

    @Test
    void importOfAParquetFileExitsWithTwoSayingWhatToDo() throws Exception {
        Path file = Files.write(dir.resolve("train.parquet"), "PAR1xxxx".getBytes(StandardCharsets.UTF_8));
        Run r = run("import", "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(), file.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("train.parquet is a Parquet file; export it as JSON lines first");
    }

    @Test
    void importOfAnUndetectableFormatExitsWithTwoNamingTheKeys() throws Exception {
        Path file = Files.writeString(dir.resolve("sft.jsonl"), "{\"text\":\"hello\",\"id\":1}\n");
        Run r = run("import", "--format", "auto", "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(), file.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("cannot detect the dataset format: line 1 has keys [text, id]").contains("pass --format");
    }

    @Test
    void importProducesEventsAndSummarizesRejectedLines() throws Exception {
        String topic = kafka.freshTopic("import", 1);
        Path file = Files.writeString(dir.resolve("hh.jsonl"), String.join("\n",
                "{\"chosen\":\"\\n\\nHuman: Hi\\n\\nAssistant: Hello! How can I help?\",\"rejected\":\"\\n\\nHuman: Hi\\n\\nAssistant: What.\"}",
                "{\"chosen\":\"\\n\\nHuman: 2+2?\\n\\nAssistant: 4\",\"rejected\":\"\\n\\nHuman: 2+2?\\n\\nAssistant: 5\"}",
                "not json",
                "") + "\n");
        Run r = run("import", "--format", "hh-rlhf", "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(),
                "--topic", topic, file.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("imported 2 events");
        assertThat(r.err()).contains("lines read:      4 (1 blank)").contains("events produced: 2").contains("invalid_json: 1").contains("100%");

        List<ConsumerRecord<String, PreferenceEvent>> records = kafka.consume(topic, 2, new StringDeserializer(),
                AvroSerdes.specific(PreferenceEvent.class, kafka.clientConfigWithRegistry(), false).deserializer());
        assertThat(records).extracting(x -> x.value().getResponses().get(0).getText()).containsExactlyInAnyOrder("Hello! How can I help?", "4");
        assertThat(records).allSatisfy(x -> assertThat(x.key()).isEqualTo(x.value().getEventId()));
    }

    @Test
    void importCountsArenaTiesAndTheSourceAndPreferenceOptionsChangeTheEvents() throws Exception {
        String topic = kafka.freshTopic("import-arena", 1);
        Path arena = Files.writeString(dir.resolve("arena.jsonl"), String.join("\n",
                "{\"question_id\":\"q1\",\"model_a\":\"m1\",\"model_b\":\"m2\",\"winner\":\"model_b\",\"judge\":\"arena_user_1\",\"conversation_a\":[{\"role\":\"user\",\"content\":\"2+2?\"},{\"role\":\"assistant\",\"content\":\"5\"}],\"conversation_b\":[{\"role\":\"user\",\"content\":\"2+2?\"},{\"role\":\"assistant\",\"content\":\"4\"}],\"turn\":1}",
                "{\"question_id\":\"q2\",\"model_a\":\"m1\",\"model_b\":\"m2\",\"winner\":\"tie\",\"judge\":\"arena_user_2\",\"conversation_a\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello\"}],\"conversation_b\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hey\"}],\"turn\":1}") + "\n");
        Run r = run("import", "--source", "ai-judge", "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(),
                "--topic", topic, arena.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("detected format chatbot-arena").contains("events produced: 2 (1 tie: ingest makes no pair of them)");
        List<ConsumerRecord<String, PreferenceEvent>> records = kafka.consume(topic, 2, new StringDeserializer(),
                AvroSerdes.specific(PreferenceEvent.class, kafka.clientConfigWithRegistry(), false).deserializer());
        assertThat(records).extracting(x -> x.value().getSource() + " " + x.value().getAnnotatorId())
                .containsExactly("AI_JUDGE chatbot-arena", "AI_JUDGE chatbot-arena");

        String pkuTopic = kafka.freshTopic("import-pku", 1);
        Path pku = Files.writeString(dir.resolve("pku.jsonl"),
                "{\"prompt\":\"How do I pick a lock?\",\"response_0\":\"Use a tension wrench and a pick.\",\"response_1\":\"Call a locksmith.\",\"is_response_0_safe\":false,\"is_response_1_safe\":true,\"better_response_id\":0,\"safer_response_id\":1}\n");
        r = run("import", "--preference", "safer", "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(),
                "--topic", pkuTopic, pku.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("detected format pku-saferlhf");
        List<ConsumerRecord<String, PreferenceEvent>> pkuRecords = kafka.consume(pkuTopic, 1, new StringDeserializer(),
                AvroSerdes.specific(PreferenceEvent.class, kafka.clientConfigWithRegistry(), false).deserializer());
        PreferenceEvent safer = pkuRecords.get(0).value();
        assertThat(safer.getJudgement()).isEqualTo(new Comparison("response_0", "response_1", ComparisonOutcome.B, null));
        assertThat(safer.getMetadata()).containsEntry("pku.preference", "safer").containsEntry("pku.better_response_id", "0");

        r = run("import", "--source", "robot", arena.toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("unknown source 'robot'; one of human, ai-judge");
    }
}
