package dev.isthmus.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The checked-in bundle (the {@code bundle/} module directory), as tests read it. */
final class BundleDir {
  private BundleDir() {}

  static Path root() {
    return Path.of(System.getProperty("bundle.dir", "."));
  }

  static String read(String relative) {
    try {
      return Files.readString(root().resolve(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode csv() {
    return BundleYaml.parse(read(Bundle.CSV_PATH));
  }
}
