package dev.prefstream.devstack.registry;

/** A named type this schema uses that is defined by another subject's version (Confluent "references"). */
record SchemaReference(String name, String subject, int version) {
}
