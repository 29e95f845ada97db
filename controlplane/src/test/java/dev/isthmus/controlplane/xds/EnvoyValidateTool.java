package dev.isthmus.controlplane.xds;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.Message;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code EnvoyValidateTool} runs {@code tools/envoy-validate}, the check of xDS resources against
 * the protoc-gen-validate rules of Envoy's API, built by {@code scripts/envoy-validate.sh}. The
 * binary is {@code -Denvoy.validate.bin} when set; otherwise the script (idempotent, {@code
 * -Denvoy.validate.script}, default {@code ../scripts/envoy-validate.sh}) builds it or finds it
 * built and prints its path.
 */
final class EnvoyValidateTool {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One resource to check: a name for the report and the resource itself. */
  record Input(String name, Message resource) {}

  /**
   * What the tool said: its exit code, the violation lines, how many messages of each type it
   * checked (nested payloads included) and its summary line.
   */
  record Result(
      int exitCode,
      List<String> violations,
      Map<String, Integer> types,
      String summary,
      String output) {}

  /** The tool's path, or why there is none. */
  record Located(Path binary, String problem) {}

  private EnvoyValidateTool() {}

  static Located locate() {
    String bin = System.getProperty("envoy.validate.bin", "");
    if (!bin.isEmpty()) {
      Path p = Path.of(bin);
      return Files.isExecutable(p)
          ? new Located(p, null)
          : new Located(null, "-Denvoy.validate.bin=" + bin + " is not an executable file");
    }
    Path script =
        Path.of(System.getProperty("envoy.validate.script", "../scripts/envoy-validate.sh"));
    if (!Files.isRegularFile(script)) {
      return new Located(null, "no build script at " + script.toAbsolutePath());
    }
    try {
      Path log = Files.createTempFile("envoy-validate-build", ".log");
      Process p =
          new ProcessBuilder("bash", script.toString())
              .redirectError(log.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(20, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        return new Located(null, script + " did not finish in 20 minutes");
      }
      if (p.exitValue() != 0 || out.isEmpty()) {
        return new Located(
            null,
            script
                + " could not build the tool (exit "
                + p.exitValue()
                + "): "
                + Files.readString(log).strip());
      }
      Path built = Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
      return Files.isExecutable(built)
          ? new Located(built, null)
          : new Located(null, script + " printed " + built + ", not an executable");
    } catch (IOException e) {
      return new Located(null, "cannot run " + script + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Located(null, "interrupted while building the tool");
    }
  }

  /** Runs the tool on the resources, each sent as a serialized {@code google.protobuf.Any}. */
  static Result run(Path binary, List<Input> resources) {
    try {
      Path in = Files.createTempFile("envoy-validate", ".jsonl");
      try (Writer w = Files.newBufferedWriter(in, StandardCharsets.UTF_8)) {
        for (Input r : resources) {
          byte[] any = Any.pack(r.resource()).toByteArray();
          w.write(
              JSON.writeValueAsString(
                  Map.of("name", r.name(), "any", Base64.getEncoder().encodeToString(any))));
          w.write('\n');
        }
      }
      Process p =
          new ProcessBuilder(binary.toString(), "-types")
              .redirectInput(in.toFile())
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException(binary + " did not finish in 5 minutes");
      }
      Files.deleteIfExists(in);
      List<String> violations = new ArrayList<>();
      Map<String, Integer> types = new TreeMap<>();
      String summary = "";
      for (String line : out.split("\n")) {
        if (line.startsWith("VIOLATION ")) {
          violations.add(line.substring("VIOLATION ".length()));
        } else if (line.startsWith("TYPE ")) {
          String[] f = line.split(" ");
          types.put(f[1], Integer.parseInt(f[2]));
        } else if (line.startsWith("envoy-validate: ")) {
          summary = line;
        }
      }
      return new Result(p.exitValue(), violations, types, summary, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
