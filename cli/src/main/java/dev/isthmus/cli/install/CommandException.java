package dev.isthmus.cli.install;

/** A failure the command reports as {@code isthmus <verb>: <message>} with exit code 1. */
final class CommandException extends RuntimeException {
  CommandException(String message) {
    super(message);
  }
}
