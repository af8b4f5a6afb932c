package dev.prefstream.cli;

import dev.prefstream.trainer.dpo.Precision;

/** {@code --precision fp32|fp16}: a wrong value (bf16 included) is a usage error with the reason, not a trace. */
final class PrecisionConverter extends ParsingConverter<Precision> {

    PrecisionConverter() {
        super(Precision::parse);
    }
}
