package dev.isthmus.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code PinnedBundle} copies the committed OLM bundle and rewrites its ClusterServiceVersion to
 * name the images just built by digest ({@code isthmus/isthmus-operator@sha256:...}): the
 * Deployment's image, the {@code containerImage} annotation and {@code relatedImages}. The
 * committed bundle keeps its tags, so that it does not change with every build.
 *
 * <p>{@code PinnedBundle <bundle dir> <output dir> <images dir>}, where the images folder holds
 * Jib's {@code isthmus-operator.json} and {@code isthmus-controlplane.json}.
 */
public final class PinnedBundle {
  static final List<String> IMAGES = List.of("isthmus-operator", "isthmus-controlplane");
  static final String CSV = "manifests/isthmus.clusterserviceversion.yaml";

  private PinnedBundle() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      throw new IllegalArgumentException(
          "usage: PinnedBundle <bundle dir> <output dir> <images dir>");
    }
    Path bundle = Path.of(args[0]);
    Path out = Path.of(args[1]);
    Path images = Path.of(args[2]);
    copy(bundle, out);
    String csv = Files.readString(bundle.resolve(CSV));
    for (String name : IMAGES) {
      JsonNode built = new ObjectMapper().readTree(images.resolve(name + ".json").toFile());
      String tagged = built.path("image").asText();
      String digest = built.path("imageDigest").asText();
      if (!digest.startsWith("sha256:") || !tagged.contains(":")) {
        throw new IllegalStateException(name + ".json: expected image and imageDigest");
      }
      String pinned = tagged.substring(0, tagged.lastIndexOf(':')) + "@" + digest;
      if (!csv.contains("image: " + tagged)) {
        throw new IllegalStateException(CSV + ": no image " + tagged + " to pin");
      }
      csv = csv.replace(tagged, pinned);
      System.out.println("[images] " + CSV + ": " + tagged + " -> " + pinned);
    }
    Files.writeString(out.resolve(CSV), csv);
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path rel = from.relativize(f);
        if (!(rel.startsWith("manifests")
            || rel.startsWith("metadata")
            || rel.toString().equals("bundle.Dockerfile"))) {
          continue;
        }
        Path dest = to.resolve(rel.toString());
        try {
          if (Files.isDirectory(f)) {
            Files.createDirectories(dest);
          } else {
            Files.createDirectories(dest.getParent());
            Files.copy(f, dest, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }
}
