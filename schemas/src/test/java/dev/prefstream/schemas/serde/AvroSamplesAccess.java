package dev.prefstream.schemas.serde;

import dev.prefstream.schemas.avro.PreferencePair;

/** {@link AvroSamples} for tests in other packages. */
public final class AvroSamplesAccess {

    private AvroSamplesAccess() {
    }

    public static PreferencePair pair() {
        return AvroSamples.pair();
    }
}
