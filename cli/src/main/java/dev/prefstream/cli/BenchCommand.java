package dev.prefstream.cli;

import picocli.CommandLine.Command;

/** {@code prefstream bench}: performance measurements (subcommands). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Performance measurements.",
        subcommands = {BenchTrainCommand.class, BenchIngestCommand.class})
final class BenchCommand implements Runnable {

    @Override
    public void run() {
        System.out.println("usage: prefstream bench train [--model DIR|preset] [--pairs-per-step B] [--seq T] [--steps N]");
        System.out.println("       prefstream bench ingest [--events N]");
    }
}
