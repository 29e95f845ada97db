package dev.isthmus.gotmpl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Runaway recursion ends with the depth error whatever the thread's stack: on a small stack the
 * stack runs out before the depth limit, and that must still be a {@link TemplateException}.
 */
class DepthLimitTest {
  static final String RECURSION = "{{define \"r\"}}{{template \"r\"}}{{end}}{{template \"r\"}}";

  @Test
  void infiniteRecursionOnASmallStackIsTheDepthError() throws Exception {
    Template t = Template.parse("t", RECURSION, Map.of());
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread small =
        new Thread(
            null,
            () -> {
              try {
                t.execute(null);
              } catch (Throwable e) {
                thrown.set(e);
              }
            },
            "small-stack",
            64 * 1024);
    small.start();
    small.join();
    assertThat(thrown.get())
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("exceeded maximum template depth");
  }

  @Test
  void onAnOrdinaryStackTheLimitIsReachedFirstOrTheSameErrorComes() {
    Template t = Template.parse("t", RECURSION, Map.of());
    Throwable e = org.assertj.core.api.Assertions.catchThrowable(() -> t.execute(null));
    assertThat(e)
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("exceeded maximum template depth (1000)");
  }
}
