package dev.isthmus.gotmpl;

import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code SprigTest} checks the Sprig (and Helm) functions against tables of what they output in Go
 * ({@code src/test/resources/sprig/*.yaml}).
 */
class SprigTest {
  private static final Tables TABLES = new Tables("Sprig");

  @TestFactory
  Stream<DynamicContainer> sprig() {
    return TABLES.tests("sprig");
  }

  @AfterAll
  static void summary() {
    TABLES.summary();
  }
}
