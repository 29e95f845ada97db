package dev.isthmus.controlplane.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.isthmus.controlplane.gateway.GatewayApiResult.StatusUpdate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs Istio's own Gateway API conversion corpus: for each case {@code X} with a status golden,
 * converts {@code X.yaml} in {@link TestMesh} and compares the statuses written with {@code
 * X.status.yaml.golden} (transition times aside) and the derived Gateways and VirtualServices with
 * {@code X.yaml.golden}.
 */
class GatewayApiConformanceTest {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** Cases with identical status reached so far; fewer is a regression. */
  static final int STATUS_FLOOR = 44;

  /** Cases with identical Istio config reached so far. */
  static final int CONFIG_FLOOR = 44;

  static Path corpus() {
    String dir = System.getProperty("conformance.gatewayapi.dir");
    if (dir != null) {
      return Path.of(dir).toAbsolutePath().normalize();
    }
    // Same anchor as the other corpus runners: the checkout's root, whose sibling is shared/.
    String root = System.getProperty("project.root", "..");
    return Path.of(root)
        .resolve("../shared/conformance/istio-gateway-api")
        .toAbsolutePath()
        .normalize();
  }

  @Test
  void writesTheStatusesIstioWrites() throws IOException {
    Path dir = corpus();
    if (!Files.isDirectory(dir)) {
      if ("true".equals(System.getenv("CI"))) {
        fail("Istio Gateway API corpus not found at " + dir);
      }
      assumeTrue(false, "Istio Gateway API corpus not found at " + dir + "; skipping");
    }
    List<String> cases;
    try (Stream<Path> s = Files.list(dir)) {
      cases =
          s.map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".status.yaml.golden"))
              .map(n -> n.substring(0, n.length() - ".status.yaml.golden".length()))
              .sorted()
              .toList();
    }
    int statusOk = 0;
    int configOk = 0;
    List<String> failures = new ArrayList<>();
    List<String> configFailures = new ArrayList<>();
    for (String c : cases) {
      List<JsonNode> input = docs(dir.resolve(c + ".yaml"));
      List<JsonNode> objects = new ArrayList<>(input);
      objects.addAll(TestMesh.objects(input));
      GatewayApiResult result;
      try {
        result =
            GatewayApiConverter.convert(
                new GatewayApiSnapshot(TestMesh.DOMAIN, objects, TestMesh.services()),
                Instant.EPOCH);
      } catch (RuntimeException e) {
        failures.add(c + ": " + e);
        continue;
      }
      String why = compareStatus(result.statuses(), docs(dir.resolve(c + ".status.yaml.golden")));
      if (why == null) {
        statusOk++;
      } else {
        failures.add(c + ": " + why);
      }
      String cwhy = compareConfig(result, docs(dir.resolve(c + ".yaml.golden")));
      if (cwhy == null) {
        configOk++;
      } else {
        configFailures.add(c + ": " + cwhy);
      }
    }
    System.out.println(
        "gatewayapi conformance: "
            + statusOk
            + "/"
            + cases.size()
            + " cases with identical status");
    failures.forEach(f -> System.out.println("  status differs " + f));
    System.out.println(
        "gatewayapi config: "
            + configOk
            + "/"
            + cases.size()
            + " cases with identical Istio config");
    configFailures.forEach(f -> System.out.println("  config differs " + f));
    assertThat(cases).isNotEmpty();
    assertThat(statusOk).as("cases with identical status").isGreaterThanOrEqualTo(STATUS_FLOOR);
    assertThat(configOk).as("cases with identical config").isGreaterThanOrEqualTo(CONFIG_FLOOR);
  }

  static String compareStatus(List<StatusUpdate> got, List<JsonNode> want) {
    Map<String, JsonNode> g = new TreeMap<>();
    for (StatusUpdate u : got) {
      g.put(key(u.apiVersion(), u.kind(), u.namespace(), u.name()), strip(u.status().deepCopy()));
    }
    Map<String, JsonNode> w = new TreeMap<>();
    for (JsonNode d : want) {
      w.put(
          key(
              d.path("apiVersion").asText(),
              d.path("kind").asText(),
              d.path("metadata").path("namespace").asText(""),
              d.path("metadata").path("name").asText()),
          strip(d.path("status").deepCopy()));
    }
    if (!g.keySet().equals(w.keySet())) {
      List<String> extra = new ArrayList<>(g.keySet());
      extra.removeAll(w.keySet());
      List<String> missing = new ArrayList<>(w.keySet());
      missing.removeAll(g.keySet());
      return "objects differ: unexpected " + extra + ", missing " + missing;
    }
    for (String k : w.keySet()) {
      if (!Objects.equals(g.get(k), w.get(k))) {
        return k + firstDifference("", g.get(k), w.get(k));
      }
    }
    return null;
  }

  static String compareConfig(GatewayApiResult r, List<JsonNode> want) {
    List<JsonNode> got = new ArrayList<>();
    r.gateways().forEach(x -> got.add(x.deepCopy()));
    r.virtualServices().forEach(x -> got.add(x.deepCopy()));
    r.destinationRules().forEach(x -> got.add(x.deepCopy()));
    List<JsonNode> w = new ArrayList<>(want);
    if (got.size() != w.size()) {
      List<String> gn = got.stream().map(GatewayApiConformanceTest::name).toList();
      List<String> wn = w.stream().map(GatewayApiConformanceTest::name).toList();
      return "objects differ: got " + gn + ", want " + wn;
    }
    for (int i = 0; i < got.size(); i++) {
      if (!got.get(i).equals(w.get(i))) {
        return name(w.get(i)) + firstDifference("", got.get(i), w.get(i));
      }
    }
    return null;
  }

  private static String name(JsonNode o) {
    return o.path("kind").asText() + "/" + o.path("metadata").path("name").asText();
  }

  private static String key(String apiVersion, String kind, String ns, String name) {
    return apiVersion + " " + kind + " " + ns + "/" + name;
  }

  /** Drops transition times, which the corpus fakes. */
  static JsonNode strip(JsonNode n) {
    if (n instanceof ObjectNode o) {
      o.remove("lastTransitionTime");
      o.forEach(GatewayApiConformanceTest::strip);
    } else if (n instanceof ArrayNode a) {
      a.forEach(GatewayApiConformanceTest::strip);
    }
    return n;
  }

  static String firstDifference(String at, JsonNode got, JsonNode want) {
    if (got != null
        && want != null
        && got.isContainerNode()
        && want.isContainerNode()
        && got.getNodeType() == want.getNodeType()) {
      if (got.isArray() && got.size() != want.size()) {
        return at
            + ": got "
            + got.size()
            + " items, want "
            + want.size()
            + ": got "
            + got
            + ", want "
            + want;
      }
      Iterator<String> names = want.isObject() ? want.fieldNames() : null;
      List<String> keys = new ArrayList<>();
      if (names != null) {
        names.forEachRemaining(keys::add);
        got.fieldNames()
            .forEachRemaining(
                k -> {
                  if (!keys.contains(k)) {
                    keys.add(k);
                  }
                });
      } else {
        for (int i = 0; i < want.size(); i++) {
          keys.add(String.valueOf(i));
        }
      }
      for (String k : keys) {
        JsonNode g = got.isObject() ? got.get(k) : got.get(Integer.parseInt(k));
        JsonNode w = want.isObject() ? want.get(k) : want.get(Integer.parseInt(k));
        if (!Objects.equals(g, w)) {
          return firstDifference(at + "/" + k, g, w);
        }
      }
    }
    return (at.isEmpty() ? "/" : at) + ": got " + got + ", want " + want;
  }

  static List<JsonNode> docs(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    try (var it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
      while (it.hasNext()) {
        JsonNode d = (JsonNode) it.next();
        if (d != null && !d.isNull() && !d.isEmpty()) {
          out.add(d);
        }
      }
    }
    return out;
  }
}
