package dev.isthmus.gotmpl;

import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code ConformanceTest} checks the engine against tables of what Go outputs: Go's {@code
 * text/template} ({@code src/test/resources/conformance/*.yaml}, one file per part of the language)
 * and the Sprig and Helm functions ({@code src/test/resources/sprig/*.yaml}).
 */
class ConformanceTest {
  private static final Tables GO = new Tables("Go text/template");
  private static final Tables SPRIG = new Tables("Sprig");

  @TestFactory
  Stream<DynamicContainer> textTemplate() {
    return GO.tests("conformance");
  }

  @TestFactory
  Stream<DynamicContainer> sprig() {
    return SPRIG.tests("sprig");
  }

  @AfterAll
  static void summary() {
    GO.summary();
    SPRIG.summary();
  }
}
