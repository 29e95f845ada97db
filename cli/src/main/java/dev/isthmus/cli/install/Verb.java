package dev.isthmus.cli.install;

import dev.isthmus.operator.Installer;
import dev.isthmus.translate.ValidationException;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * What the installation verbs share: their streams, the {@code Proceed? (y/N)} question, and one
 * way to report a failure ({@code isthmus <verb>: <message>} on stderr, exit code 1).
 */
abstract class Verb implements Callable<Integer> {
  final String verb;
  final InputStream in;
  final PrintStream out;
  final PrintStream err;

  Verb(String verb, InputStream in, PrintStream out, PrintStream err) {
    this.verb = verb;
    this.in = in;
    this.out = out;
    this.err = err;
  }

  /** The verb's work; its exceptions are reported by {@link #call()}. */
  abstract int execute();

  @Override
  public final Integer call() {
    try {
      return execute();
    } catch (ValidationException e) {
      e.errors().forEach(m -> err.println("isthmus " + verb + ": " + m));
      return 1;
    } catch (CommandException | Installer.InstallException e) {
      err.println("isthmus " + verb + ": " + e.getMessage());
      return 1;
    } catch (KubernetesClientException e) {
      String reason =
          e.getStatus() != null && e.getStatus().getMessage() != null
              ? e.getStatus().getMessage()
              : e.getMessage();
      err.println("isthmus " + verb + ": " + reason);
      return 1;
    }
  }

  /**
   * Asks on stdin, as istioctl does: only {@code y} or {@code yes} proceeds; anything else, an
   * empty line or the end of the input (stdin not a terminal and no {@code -y}) cancels.
   */
  boolean confirm(String question) {
    out.print((question.isEmpty() ? "" : question + " ") + "Proceed? (y/N) ");
    out.flush();
    String answer;
    try {
      answer = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
    } catch (IOException e) {
      answer = null;
    }
    out.println();
    String a = answer == null ? "" : answer.trim().toLowerCase(Locale.ROOT);
    if (a.equals("y") || a.equals("yes")) {
      return true;
    }
    out.println("Cancelled.");
    return false;
  }
}
