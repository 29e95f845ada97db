package dev.isthmus.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code ImageArchive} reads an image archive in docker-save format (what Jib's {@code buildTar}
 * and {@code scripts/jre-base.sh} write): its config, and its layers applied in order onto a
 * folder, whiteouts included, as a container runtime would before starting the container.
 *
 * @param name the archive's file name without {@code .tar}
 * @param folder where the archive was extracted
 * @param layers layer files, lowest first
 * @param config the image configuration's {@code config} object (Entrypoint, Cmd, Env, User, ...)
 * @param repoTags the names the archive carries
 */
record ImageArchive(
    String name, Path folder, List<Path> layers, JsonNode config, List<String> repoTags) {

  static ImageArchive open(Path tar, Path work) throws IOException, InterruptedException {
    String name = tar.getFileName().toString().replaceFirst("\\.tar$", "");
    Path folder = work.resolve(name + ".archive");
    delete(folder);
    Files.createDirectories(folder);
    run("tar", "-xf", tar.toString(), "-C", folder.toString());
    ObjectMapper json = new ObjectMapper();
    JsonNode manifest = json.readTree(folder.resolve("manifest.json").toFile()).get(0);
    List<Path> layers = new ArrayList<>();
    manifest.path("Layers").forEach(l -> layers.add(folder.resolve(l.asText())));
    List<String> tags = new ArrayList<>();
    manifest.path("RepoTags").forEach(t -> tags.add(t.asText()));
    JsonNode config =
        json.readTree(folder.resolve(manifest.path("Config").asText()).toFile()).path("config");
    return new ImageArchive(name, folder, List.copyOf(layers), config, List.copyOf(tags));
  }

  /** The entrypoint followed by the default arguments: what runs when a Pod sets neither. */
  List<String> command() {
    List<String> c = new ArrayList<>();
    config.path("Entrypoint").forEach(a -> c.add(a.asText()));
    config.path("Cmd").forEach(a -> c.add(a.asText()));
    return c;
  }

  /** The entrypoint alone: what runs with a Pod's {@code args}. */
  List<String> entrypoint() {
    List<String> c = new ArrayList<>();
    config.path("Entrypoint").forEach(a -> c.add(a.asText()));
    return c;
  }

  /** The image's environment, {@code NAME=value} entries. */
  List<String> env() {
    List<String> e = new ArrayList<>();
    config.path("Env").forEach(v -> e.add(v.asText()));
    return e;
  }

  String user() {
    return config.path("User").asText("");
  }

  String workingDir() {
    return config.path("WorkingDir").asText("");
  }

  /**
   * Applies the layers in order onto a new {@code rootfs}: a {@code .wh.<name>} entry removes
   * {@code <name>} from the layers below, {@code .wh..wh..opq} empties its folder.
   */
  Path unpack(Path rootfs) throws IOException, InterruptedException {
    delete(rootfs);
    Files.createDirectories(rootfs);
    for (Path layer : layers) {
      List<String> entries = run("tar", "-tf", layer.toString()).lines().toList();
      for (String entry : entries) {
        Path p = Path.of(entry.replaceFirst("^\\./", ""));
        String base = p.getFileName() == null ? "" : p.getFileName().toString();
        Path dir = p.getParent() == null ? rootfs : rootfs.resolve(p.getParent().toString());
        if (base.equals(".wh..wh..opq")) {
          try (Stream<Path> children = Files.exists(dir) ? Files.list(dir) : Stream.empty()) {
            for (Path child : children.toList()) {
              delete(child);
            }
          }
        } else if (base.startsWith(".wh.")) {
          delete(dir.resolve(base.substring(".wh.".length())));
        }
      }
      run(
          "tar",
          "-xf",
          layer.toString(),
          "-C",
          rootfs.toString(),
          "--numeric-owner",
          "--same-permissions",
          "--exclude=.wh.*",
          "--exclude=*/.wh.*");
    }
    return rootfs;
  }

  static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }

  static void delete(Path p) {
    if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> all = Files.walk(p)) {
      for (Path f : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
