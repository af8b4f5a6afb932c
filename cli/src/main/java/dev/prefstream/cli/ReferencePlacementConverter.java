package dev.prefstream.cli;

import dev.prefstream.trainer.dpo.ReferencePlacement;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --reference-placement device|host}: a wrong value is a usage error with the reason, not a trace. */
final class ReferencePlacementConverter implements ITypeConverter<ReferencePlacement> {

    @Override
    public ReferencePlacement convert(String value) {
        try {
            return ReferencePlacement.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
