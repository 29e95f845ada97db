package dev.isthmus.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LiveCacheTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "extra live fields are fine | {\"a\":1,\"b\":{\"c\":2,\"d\":3}} | {\"b\":{\"c\":2}} | true",
        "a changed value needs an apply | {\"a\":1} | {\"a\":2} | false",
        "a missing field needs an apply | {\"a\":1} | {\"b\":1} | false",
        "lists must match element by element | {\"l\":[{\"n\":\"x\",\"v\":1}]} | {\"l\":[{\"n\":\"x\"}]} | true",
        "a longer live list needs an apply | {\"l\":[1,2]} | {\"l\":[1]} | false",
        "numbers compare by value | {\"r\":1.0} | {\"r\":1} | true",
        "a string is not a number | {\"r\":\"1\"} | {\"r\":1} | false",
        "a desired null means absent | {\"a\":1} | {\"b\":null} | true",
        "a desired null with a live value needs an apply | {\"b\":1} | {\"b\":null} | false",
      })
  void containsDecidesWhetherAnApplyWouldChangeAnything(
      String name, String live, String desired, boolean expected) throws Exception {
    JsonNode have = JSON.readTree(live);
    JsonNode want = JSON.readTree(desired);
    assertThat(LiveCache.contains(have, want)).isEqualTo(expected);
  }
}
