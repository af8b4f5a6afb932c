package dev.prefstream.schemas.serde;

import dev.prefstream.schemas.avro.PreferencePair;
import java.io.ByteArrayOutputStream;
import java.util.Map;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.common.serialization.Serde;

/**
 * Run in a fresh JVM by {@link AvroTrustTest}: Avro reads its trust settings once per JVM, so only a new JVM shows
 * what a freshly started service sees. Modes: {@code raw} reads a specific record with plain Avro (no AvroTrust),
 * {@code serde} through the serde, {@code late} initialises Avro's validator before the serde is first touched.
 * Prints one result line.
 */
public final class TrustProbe {

    private TrustProbe() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        PreferencePair pair = AvroSamples.pair();
        try {
            if (mode.equals("raw")) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
                new SpecificDatumWriter<>(PreferencePair.class).write(pair, encoder);
                encoder.flush();
                PreferencePair back = new SpecificDatumReader<>(PreferencePair.class)
                        .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
                System.out.println("READ " + back.getPairId());
                return;
            }
            if (mode.equals("late")) {
                // the validator (and its one-time read of the system property) is initialised before AvroTrust runs
                ClassSecurityValidator.getGlobal();
            }
            try (Serde<PreferencePair> serde = AvroSerdes.specific(PreferencePair.class, Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://probe"), false)) {
                PreferencePair back = serde.deserializer().deserialize("preference-pairs", serde.serializer().serialize("preference-pairs", pair));
                System.out.println("READ " + back.getPairId() + " prompt[0].role=" + back.getPrompt().get(0).getRole() + " equal=" + back.equals(pair)
                        + " property=" + System.getProperty(AvroTrust.SERIALIZABLE_PACKAGES_PROPERTY));
            }
        } catch (SecurityException e) {
            System.out.println("FORBIDDEN " + e.getMessage());
        }
    }
}
