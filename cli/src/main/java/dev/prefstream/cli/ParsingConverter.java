package dev.prefstream.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.function.Function;

/**
 * An option value read with the type's own parser: a value it refuses (IllegalArgumentException) is a usage error
 * with the parser's message, not a stack trace. Subclasses exist because picocli instantiates converters by class.
 */
abstract class ParsingConverter<T> implements ITypeConverter<T> {

    private final Function<String, T> parser;

    ParsingConverter(Function<String, T> parser) {
        this.parser = parser;
    }

    @Override
    public T convert(String value) {
        try {
            return parser.apply(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
