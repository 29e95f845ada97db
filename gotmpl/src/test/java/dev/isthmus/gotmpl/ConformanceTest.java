package dev.isthmus.gotmpl;

import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code ConformanceTest} checks the engine against tables of what Go's {@code text/template}
 * outputs ({@code src/test/resources/conformance/*.yaml}, one file per part of the language).
 */
class ConformanceTest {
  private static final Tables TABLES = new Tables("Go text/template");

  @TestFactory
  Stream<DynamicContainer> conformance() {
    return TABLES.tests("conformance");
  }

  @AfterAll
  static void summary() {
    TABLES.summary();
  }
}
