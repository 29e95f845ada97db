package dev.isthmus.operator.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * {@code Cli} runs one {@code isthmus} verb's picocli command with the CLI's conventions: output on
 * {@code out}, messages on {@code err} prefixed with the verb ({@code isthmus operator: ...}), exit
 * code 1 for a bad flag or a failure, 0 for success and for {@code --help}.
 */
public final class Cli {
  private Cli() {}

  public static int execute(
      Object command, String verb, String[] args, PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(command);
    cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cl.setParameterExceptionHandler(
        (e, a) -> {
          err.println("isthmus " + verb + ": " + e.getMessage());
          e.getCommandLine().usage(err);
          return 1;
        });
    cl.setExecutionExceptionHandler(
        (e, c, parsed) -> {
          StringBuilder m = new StringBuilder("isthmus " + verb + ": " + e.getMessage());
          // the causes say why (an API server that refused a connection, a certificate), once each
          for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t.getMessage() != null && !m.toString().contains(t.getMessage())) {
              m.append(": ").append(t.getMessage());
            }
          }
          err.println(m);
          return 1;
        });
    return cl.execute(args);
  }
}
