package dev.isthmus.translate.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.translate.ComponentManifest;
import dev.isthmus.translate.Profiles;
import dev.isthmus.translate.RenderResult;
import dev.isthmus.translate.Translator;
import dev.isthmus.translate.Trees;
import dev.isthmus.translate.ValidationException;
import dev.isthmus.translate.Yamls;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ManifestCli} implements {@code manifest generate} and {@code profile list|dump}. Reading
 * the input files is its only I/O. YAML goes to {@code out}; on any error the messages (each naming
 * its field path) go to {@code err}, nothing is written to {@code out}, and the exit code is 1.
 */
public final class ManifestCli {
  static final String USAGE =
      """
      usage: manifest generate [-f FILE]... [--set PATH=VALUE]... [-r REV] [--component NAME] [--force]
             profile list
             profile dump [NAME]
      """;

  private ManifestCli() {}

  /**
   * Runs {@code manifest} or {@code profile} as a plain Java program: {@code bin/isthmus} starts
   * these verbs this way, without the application framework's boot, so that a render costs what the
   * render costs.
   */
  public static void main(String... args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs one command; returns the process exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    try {
      String text = dispatch(args, err);
      out.print(text);
      out.flush();
      return 0;
    } catch (UsageException e) {
      err.println(e.getMessage());
      err.print(USAGE);
      return 1;
    } catch (ValidationException e) {
      for (String m : e.errors()) {
        err.println("error: " + m);
      }
      return 1;
    }
  }

  private static String dispatch(String[] args, PrintStream err) {
    if (args.length >= 2 && args[0].equals("manifest") && args[1].equals("generate")) {
      return generate(List.of(args).subList(2, args.length), err);
    }
    if (args.length == 2 && args[0].equals("profile") && args[1].equals("list")) {
      StringBuilder sb = new StringBuilder("Istio configuration profiles:\n");
      Profiles.NAMES.forEach(n -> sb.append("    ").append(n).append('\n'));
      return sb.toString();
    }
    if (args.length >= 2
        && args.length <= 3
        && args[0].equals("profile")
        && args[1].equals("dump")) {
      String name = args.length == 3 ? args[2] : "default";
      return dump(name);
    }
    throw new UsageException("unknown command: " + String.join(" ", args));
  }

  private static String dump(String name) {
    ObjectNode tree = Profiles.tree("default");
    if (!name.equals("default")) {
      ObjectNode named;
      if (Profiles.NAMES.contains(name)) {
        named = Profiles.tree(name);
      } else {
        String text = read(name, "profile");
        var docs = Yamls.parseAll(text).stream().filter(d -> d != null).toList();
        if (docs.size() != 1 || !docs.get(0).isObject()) {
          throw new ValidationException(List.of(name + ": must hold exactly one IstioOperator"));
        }
        named = (ObjectNode) docs.get(0);
      }
      tree = Trees.merge(tree, named);
    }
    Trees.objectAt(tree, "spec").put("profile", name);
    return Yamls.toYaml(Yamls.sorted(tree));
  }

  /** The flags of {@code manifest generate}, as istioctl names them. */
  @Command(name = "manifest generate")
  static final class GenerateFlags {
    @Option(
        names = {"-f", "--filename"},
        paramLabel = "FILE")
    List<String> files = new ArrayList<>();

    @Option(
        names = {"-s", "--set"},
        paramLabel = "PATH=VALUE")
    List<String> sets = new ArrayList<>();

    @Option(
        names = {"-r", "--revision"},
        paramLabel = "REV")
    String revision;

    @Option(names = "--component", paramLabel = "NAME")
    List<String> only = new ArrayList<>();

    @Option(names = "--force")
    boolean force;
  }

  static GenerateFlags parse(List<String> args) {
    GenerateFlags flags = new GenerateFlags();
    try {
      new CommandLine(flags).parseArgs(args.toArray(String[]::new));
    } catch (CommandLine.UnmatchedArgumentException e) {
      throw new UsageException("unknown flag: " + String.join(" ", e.getUnmatched()));
    } catch (CommandLine.ParameterException e) {
      throw new UsageException(e.getMessage());
    }
    return flags;
  }

  private static String generate(List<String> args, PrintStream err) {
    GenerateFlags flags = parse(args);
    List<String> files = flags.files;
    List<String> sets = flags.sets;
    List<String> only = flags.only;
    String revision = flags.revision;
    boolean force = flags.force;
    List<String> docs = new ArrayList<>();
    for (String f : files) {
      docs.add(read(f, "-f"));
    }
    Map<String, String> profileFiles = new HashMap<>();
    String profile = Translator.requestedProfile(docs, sets);
    if (!Profiles.NAMES.contains(profile)) {
      profileFiles.put(profile, read(profile, "spec.profile"));
    }
    RenderResult r = Translator.render(docs, sets, revision, force, profileFiles);
    for (String w : r.warnings()) {
      err.println("warning: " + w);
    }
    if (only.isEmpty()) {
      return r.toYaml();
    }
    StringBuilder sb = new StringBuilder();
    List<String> wanted = only.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
    boolean any = false;
    for (ComponentManifest c : r.components()) {
      if (wanted.contains(c.component().toLowerCase(Locale.ROOT))
          || wanted.contains(c.name().toLowerCase(Locale.ROOT))) {
        any = true;
        for (ObjectNode o : c.objects()) {
          sb.append(Yamls.toYaml(o)).append("---\n");
        }
      }
    }
    if (!any) {
      throw new ValidationException(
          List.of("--component: no enabled component matches " + String.join(", ", only)));
    }
    return sb.toString();
  }

  private static String read(String file, String what) {
    try {
      return Files.readString(Path.of(file), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      String reason = e.getClass().getSimpleName().replace("Exception", "");
      throw new ValidationException(
          List.of(what + " " + file + ": cannot read file (" + reason + ")"));
    }
  }

  private static final class UsageException extends RuntimeException {
    UsageException(String m) {
      super(m);
    }
  }
}
