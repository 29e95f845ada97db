package dev.isthmus.controlplane.webhooks.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs Istio's injection corpus ({@code X.yaml} in, {@code X.yaml.injected} expected, per-case
 * settings in the table below) through Isthmus: the injector config is the default profile as
 * Isthmus's translate renders it (the case's {@code --set} flags and {@code X.iop.yaml} applied,
 * then the case's mesh config changes), each manifest is injected as {@link KubeInject} does, and
 * the result is compared with the expected output as parsed YAML trees. Ignored: image registries
 * and tags, {@code ISTIO_VERSION}, a workload's {@code status}, nulls and empty objects (Go
 * serialisation leaves {@code status: {}}, a volume without source is an emptyDir), env values that
 * are {@code ""}, and the fields Go omits when zero or false ({@link #OMIT_ZERO}); strings holding
 * JSON are compared as JSON, resource quantities by value.
 */
class InjectConformanceTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The pass count reached; fewer identical cases is a regression. */
  private static final int FLOOR = 106;

  private static final List<String> HOLD =
      List.of("values.global.proxy.holdApplicationUntilProxyStarts=true");
  private static final List<String> STATUS_123 =
      List.of(
          "values.global.proxy.statusPort=123",
          "values.global.proxy.readinessInitialDelaySeconds=100",
          "values.global.proxy.readinessPeriodSeconds=200",
          "values.global.proxy.readinessFailureThreshold=300");
  private static final List<String> CNI_MULTUS =
      List.of("components.cni.enabled=true", "values.cni.provider=multus");
  private static final List<String> CNI = List.of("components.cni.enabled=true");

  /** One case: input, expected output and the settings that differ from the defaults. */
  record Case(
      String in,
      String want,
      List<String> sets,
      String iop,
      Consumer<ObjectNode> mesh,
      boolean nativeSidecars,
      String compliance,
      String expectedError,
      Map<String, String> namespaceAnnotations) {
    Case {
      sets = sets == null ? List.of() : sets;
    }

    static Case of(String in, String want) {
      return new Case(in, want, List.of(), null, null, true, "", null, Map.of());
    }

    Case sets(String... s) {
      return new Case(
          in,
          want,
          List.of(s),
          iop,
          mesh,
          nativeSidecars,
          compliance,
          expectedError,
          namespaceAnnotations);
    }

    Case sets(List<String> s) {
      return sets(s.toArray(String[]::new));
    }

    Case iop(String file) {
      return new Case(
          in,
          want,
          sets,
          file,
          mesh,
          nativeSidecars,
          compliance,
          expectedError,
          namespaceAnnotations);
    }

    Case mesh(Consumer<ObjectNode> m) {
      return new Case(
          in, want, sets, iop, m, nativeSidecars, compliance, expectedError, namespaceAnnotations);
    }

    Case noNative() {
      return new Case(
          in, want, sets, iop, mesh, false, compliance, expectedError, namespaceAnnotations);
    }

    Case compliance(String c) {
      return new Case(
          in, want, sets, iop, mesh, nativeSidecars, c, expectedError, namespaceAnnotations);
    }

    Case error(String e) {
      return new Case(
          in, null, sets, iop, mesh, nativeSidecars, compliance, e, namespaceAnnotations);
    }

    Case openShift() {
      return new Case(
          in,
          want,
          sets,
          iop,
          mesh,
          nativeSidecars,
          compliance,
          expectedError,
          Map.of(
              "openshift.io/sa.scc.uid-range", "1000620000/10000",
              "openshift.io/sa.scc.supplemental-groups", "1000620000/10000"));
    }

    String name() {
      return want != null ? want : in;
    }
  }

  private static Consumer<ObjectNode> defaultConfig(Consumer<ObjectNode> c) {
    return m -> c.accept(obj(m, "defaultConfig"));
  }

  private static ObjectNode obj(ObjectNode parent, String field) {
    return parent.get(field) instanceof ObjectNode o ? o : parent.putObject(field);
  }

  /** The cases Istio's TestInjection configures; every other X.yaml uses the defaults. */
  static List<Case> table() {
    Consumer<ObjectNode> tproxy = defaultConfig(d -> d.put("interceptionMode", "TPROXY"));
    List<Case> t = new ArrayList<>();
    t.add(
        Case.of("hello.yaml", "hello.yaml.cni.injected")
            .sets(
                "components.cni.enabled=true",
                "values.cni.provider=default",
                "values.global.network=network1"));
    t.add(
        Case.of("hello.yaml", "hello.yaml.proxyImageName.injected")
            .sets("values.global.proxy.image=proxyTest"));
    t.add(
        Case.of("hello.yaml", "hello.yaml.proxyInitImageName.injected")
            .sets("values.global.proxy_init.image=proxyInitTest"));
    t.add(Case.of("hello.yaml", "hello-tproxy.yaml.injected").mesh(tproxy));
    t.add(
        Case.of("hello.yaml", "hello-always.yaml.injected")
            .sets("values.global.imagePullPolicy=Always"));
    t.add(
        Case.of("hello.yaml", "hello-never.yaml.injected")
            .sets("values.global.imagePullPolicy=Never"));
    t.add(Case.of("hello.yaml", "hello-old-version.yaml.injected").noNative());
    t.add(
        Case.of("format-duration.yaml", "format-duration.yaml.injected")
            .mesh(defaultConfig(d -> d.put("drainDuration", "23s"))));
    t.add(
        Case.of("traffic-params.yaml", "traffic-params.yaml.injected")
            .sets(
                "values.global.proxy.includeIPRanges=127.0.0.1/24,10.96.0.1/24",
                "values.global.proxy.excludeIPRanges=10.96.0.2/24,10.96.0.3/24",
                "values.global.proxy.excludeInboundPorts=4,5,6",
                "values.global.proxy.statusPort=0"));
    t.add(Case.of("status_params.yaml", "status_params.yaml.injected").sets(STATUS_123));
    t.add(Case.of("kubevirtInterfaces.yaml", "kubevirtInterfaces.yaml.injected").sets(STATUS_123));
    t.add(
        Case.of("reroute-virtual-interfaces.yaml", "reroute-virtual-interfaces.yaml.injected")
            .sets(STATUS_123));
    t.add(
        Case.of("hello.yaml", "hello-image-secrets-in-values.yaml.injected")
            .iop("hello-image-secrets-in-values.iop.yaml"));
    t.add(
        Case.of("hello-image-pull-secret.yaml", "hello-multiple-image-secrets.yaml.injected")
            .iop("hello-image-secrets-in-values.iop.yaml"));
    t.add(
        Case.of("hello.yaml", "hello-template-in-values.yaml.injected")
            .iop("hello-template-in-values.iop.yaml"));
    t.add(
        Case.of("hello.yaml", "hello-mount-mtls-certs.yaml.injected")
            .sets("values.global.mountMtlsCerts=true"));
    t.add(Case.of("hello.yaml", "hello-cncf-networks.yaml.injected").sets(CNI_MULTUS));
    t.add(
        Case.of("hello-existing-cncf-networks.yaml", "hello-existing-cncf-networks.yaml.injected")
            .sets(CNI_MULTUS));
    t.add(
        Case.of(
                "hello-existing-cncf-networks-json.yaml",
                "hello-existing-cncf-networks-json.yaml.injected")
            .sets(CNI_MULTUS));
    t.add(Case.of("hello.yaml", "hello.proxyHoldsApplication.yaml.injected").sets(HOLD));
    t.add(
        Case.of("hello-probes.yaml", "hello-probes.proxyHoldsApplication.yaml.injected")
            .sets(HOLD));
    t.add(
        Case.of(
            "hello-probes-proxyHoldApplication-ProxyConfig.yaml",
            "hello-probes-proxyHoldApplication-ProxyConfig.yaml.injected"));
    t.add(
        Case.of(
                "hello-probes-noProxyHoldApplication-ProxyConfig.yaml",
                "hello-probes-noProxyHoldApplication-ProxyConfig.yaml.injected")
            .sets(HOLD));
    t.add(Case.of("hello-service.yaml", "hello-service.yaml.injected"));
    t.add(Case.of("cronjob.yaml", "cronjob.yaml.injected"));
    t.add(Case.of("cronjob.yaml", "cronjob-old-version.yaml.injected").noNative());
    t.add(Case.of("daemonset.yaml", "daemonset-old-version.yaml.injected").noNative());
    t.add(Case.of("job.yaml", "job-old-version.yaml.injected").noNative());
    t.add(Case.of("pod.yaml", "pod-old-version.yaml.injected").noNative());
    t.add(Case.of("replicaset.yaml", "replicaset-old-version.yaml.injected").noNative());
    t.add(Case.of("statefulset.yaml", "statefulset-old-version.yaml.injected").noNative());
    for (String a :
        List.of(
            "includeipranges",
            "excludeipranges",
            "includeinboundports",
            "excludeinboundports",
            "excludeoutboundports")) {
      t.add(Case.of("traffic-annotations-bad-" + a + ".yaml", null).error(a));
    }
    t.add(
        Case.of("traffic-annotations.yaml", "traffic-annotations.yaml.injected")
            .mesh(
                defaultConfig(
                    d ->
                        obj(d, "proxyMetadata")
                            .put(
                                "ISTIO_META_TLS_CLIENT_KEY",
                                "/etc/identity/client/keys/client-key.pem"))));
    t.add(Case.of("proxy-override-runas.yaml", "proxy-override-runas.yaml.cni.injected").sets(CNI));
    t.add(
        Case.of("proxy-override-runas.yaml", "proxy-override-runas.yaml.tproxy.injected")
            .mesh(tproxy));
    t.add(Case.of("proxy-override-args.yaml", "proxy-override-args-native.yaml.injected"));
    t.add(Case.of("native-sidecar.yaml", "native-sidecar-old-version.yaml.injected").noNative());
    t.add(Case.of("native-sidecar-opt-in.yaml", "native-sidecar-opt-in.yaml.injected").noNative());
    t.add(
        Case.of("native-sidecar-opt-out.yaml", "native-sidecar-opt-out.yaml.injected").noNative());
    t.add(
        Case.of("custom-template.yaml", "custom-template.yaml.injected")
            .iop("custom-template.iop.yaml"));
    t.add(Case.of("merge-probers.yaml", "merge-probers.yaml.injected").sets(HOLD));
    t.add(
        Case.of("hello-tracing-disabled.yaml", "hello-tracing-disabled.yaml.injected")
            .mesh(defaultConfig(d -> d.putObject("tracing"))));
    for (String os :
        List.of("hello-openshift", "hello-openshift-custom-injection", "hello-openshift-tproxy")) {
      t.add(Case.of(os + ".yaml", os + ".yaml.injected").sets(CNI).openShift());
    }
    t.add(
        Case.of("hello-probes-localhost.yaml", "hello-probes-localhost.yaml.injected")
            .mesh(m -> obj(m, "inboundTrafficPolicy").put("mode", "LOCALHOST")));
    for (String r : List.of("null", "null-no-init", "zero", "memory-null", "mixed-null")) {
      String iop = r.equals("null-no-init") ? "null" : r;
      t.add(
          Case.of("proxy-resources-" + r + ".yaml", "proxy-resources-" + r + ".yaml.injected")
              .iop("proxy-resources-" + iop + ".iop.yaml"));
    }
    t.add(
        Case.of("sidecar-spire.yaml", "sidecar-spire.yaml.injected")
            .iop("spire-template.iop.yaml"));
    t.add(
        Case.of("gateway-spire.yaml", "gateway-spire.yaml.injected")
            .iop("spire-template.iop.yaml"));
    t.add(
        Case.of("hello-otel-semconv.yaml", "hello-otel-semconv.yaml.injected")
            .mesh(
                m -> {
                  ObjectNode p = m.withArray("extensionProviders").addObject();
                  p.put("name", "otel");
                  p.putObject("opentelemetry")
                      .put("service", "otel-collector.observability.svc.cluster.local")
                      .put("port", 4317)
                      .put("serviceAttributeEnrichment", "OTEL_SEMANTIC_CONVENTIONS");
                }));
    t.add(Case.of("hello.yaml", "hello-fips-140-3.yaml.injected").compliance("fips-140-3"));
    return t;
  }

  /** The table, then every other {@code X.yaml} of the folder against {@code X.yaml.injected}. */
  static List<Case> cases(Path dir) throws Exception {
    List<Case> out = new ArrayList<>();
    Set<String> tested = new LinkedHashSet<>();
    for (Case c : table()) {
      tested.add(c.want != null ? c.want : c.in + ".injected");
      boolean present =
          Files.exists(dir.resolve(c.in)) && (c.want == null || Files.exists(dir.resolve(c.want)));
      if (present) {
        out.add(c);
      }
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (String f : files.map(p -> p.getFileName().toString()).sorted().toList()) {
        if (f.endsWith(".iop.yaml") || !f.endsWith(".yaml") || tested.contains(f + ".injected")) {
          continue;
        }
        if (Files.exists(dir.resolve(f + ".injected"))) {
          out.add(Case.of(f, f + ".injected"));
        }
      }
    }
    return out;
  }

  @Test
  void corpus() throws Exception {
    Path dir =
        Path.of(
            System.getProperty(
                "conformance.inject.dir", "../../shared/conformance/istio-inject/inject"));
    if (!Files.isDirectory(dir)) {
      if ("true".equals(System.getenv("CI"))) {
        fail("injection corpus missing under CI=true: " + dir.toAbsolutePath());
      }
      assumeTrue(false, "injection corpus absent: " + dir.toAbsolutePath());
    }
    List<Case> cases = cases(dir);
    List<String> failures = new ArrayList<>();
    int pass = 0;
    for (Case c : cases) {
      String diff;
      try {
        diff = run(dir, c);
      } catch (Exception | AssertionError e) {
        diff = "error: " + e;
      }
      if (diff == null) {
        pass++;
      } else {
        failures.add(c.name() + ": " + oneLine(diff));
      }
    }
    System.out.println("inject conformance: " + pass + "/" + cases.size() + " cases identical");
    failures.forEach(f -> System.out.println("  " + f));
    assertThat(cases).as("cases found in " + dir).hasSizeGreaterThan(50);
    assertThat(pass)
        .as("identical cases (floor); failures: " + failures)
        .isGreaterThanOrEqualTo(FLOOR);
  }

  private static String oneLine(String s) {
    String l = s.replace('\n', ' ');
    return l.length() > 300 ? l.substring(0, 300) + "..." : l;
  }

  /** Null when identical, else the first difference. */
  static String run(Path dir, Case c) throws Exception {
    List<String> iop = new ArrayList<>();
    if (c.iop != null) {
      iop.add(Files.readString(dir.resolve(c.iop)));
    }
    Map<String, String> rendered = InjectorFixtures.rendered(iop, c.sets);
    String mesh = rendered.get("mesh");
    if (c.mesh != null) {
      Object parsed = mesh == null ? null : Serialization.unmarshal(mesh, Object.class);
      ObjectNode m =
          parsed == null ? JSON.createObjectNode() : (ObjectNode) JSON.valueToTree(parsed);
      c.mesh.accept(m);
      mesh = Serialization.asYaml(m);
    }
    InjectionConfig cfg = InjectionConfig.parse(rendered, mesh);
    SidecarInjector injector =
        new SidecarInjector(
            () -> cfg,
            "istio-system",
            ns -> Map.of(),
            new InjectorFeatures(c.nativeSidecars, c.compliance));
    String input = Files.readString(dir.resolve(c.in));
    if (c.expectedError != null) {
      try {
        KubeInject.inject(injector, input);
      } catch (IllegalArgumentException e) {
        String msg = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        return msg.contains(c.expectedError)
            ? null
            : "error does not name " + c.expectedError + ": " + e.getMessage();
      }
      return "expected an error naming " + c.expectedError + ", got none";
    }
    List<JsonNode> got = KubeInject.inject(injector, input);
    List<JsonNode> want = docs(Files.readString(dir.resolve(c.want)));
    if (got.size() != want.size()) {
      return "documents: got " + got.size() + ", want " + want.size();
    }
    for (int i = 0; i < got.size(); i++) {
      // a workload's status is the API server's, not the injector's (Go prints zero counters)
      ((ObjectNode) want.get(i)).remove("status");
      ((ObjectNode) got.get(i)).remove("status");
      String d = diff("doc" + i, normalize(want.get(i)), normalize(got.get(i)));
      if (d != null) {
        return d;
      }
    }
    return null;
  }

  private static List<JsonNode> docs(String yaml) {
    List<JsonNode> out = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      Object o = Serialization.unmarshal(doc, Object.class);
      if (o != null) {
        out.add(JSON.valueToTree(o));
      }
    }
    return out;
  }

  /** Drops what the comparison ignores; see the class comment. */
  static JsonNode normalize(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return null;
    }
    if (n.isObject()) {
      ObjectNode out = JSON.createObjectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        var e = it.next();
        if ((e.getKey().equals("status") && n.has("apiVersion") && n.has("kind"))
            || (OMIT_ZERO.contains(e.getKey())
                && (e.getValue().asLong(-1) == 0
                    || e.getValue().isBoolean() && !e.getValue().asBoolean()))) {
          continue;
        }
        JsonNode v = e.getValue();
        if (e.getKey().equals("image") && v.isTextual()) {
          v = JsonNodeFactory.instance.textNode(imageName(v.asText()));
        }
        if (e.getKey().equals("value")
            && (n.path("name").asText().equals("ISTIO_VERSION") || "".equals(v.asText(null)))) {
          continue;
        }
        if ((e.getKey().equals("limits") || e.getKey().equals("requests")) && v.isObject()) {
          ObjectNode q = JSON.createObjectNode();
          v.fields().forEachRemaining(f -> q.put(f.getKey(), quantity(f.getValue().asText())));
          v = q;
        }
        JsonNode nv = normalize(v);
        if (nv != null) {
          out.set(e.getKey(), nv);
        }
      }
      return out.isEmpty() ? null : out;
    }
    if (n.isArray()) {
      ArrayNode out = JSON.createArrayNode();
      for (JsonNode x : n) {
        JsonNode nx = normalize(x);
        out.add(nx == null ? JSON.createObjectNode() : nx);
      }
      return out.isEmpty() ? null : out;
    }
    if (n.isIntegralNumber()) {
      return JsonNodeFactory.instance.numberNode(n.asLong());
    }
    if (n.isTextual()) {
      String s = n.asText().trim();
      if ((s.startsWith("{") && s.endsWith("}")) || (s.startsWith("[") && s.endsWith("]"))) {
        try {
          return normalize(JSON.readTree(s));
        } catch (Exception e) {
          return n;
        }
      }
    }
    return n;
  }

  /** Go omits these when zero or false; Kubernetes treats that as absent. */
  private static final Set<String> OMIT_ZERO =
      Set.of("minReadySeconds", "initialDelaySeconds", "paused", "test");

  /** A resource quantity in canonical decimal form ({@code 2000m} and {@code 2} are equal). */
  static String quantity(String q) {
    Map<String, Double> suffixes =
        Map.of(
            "m",
            1e-3,
            "k",
            1e3,
            "M",
            1e6,
            "G",
            1e9,
            "Ki",
            1024.0,
            "Mi",
            1048576.0,
            "Gi",
            1073741824.0);
    for (var e : suffixes.entrySet()) {
      if (q.endsWith(e.getKey()) && q.length() > e.getKey().length()) {
        String num = q.substring(0, q.length() - e.getKey().length());
        if (num.matches("[0-9.]+") && !(e.getKey().equals("M") && q.endsWith("Mi"))) {
          return new java.math.BigDecimal(num)
              .multiply(java.math.BigDecimal.valueOf(e.getValue()))
              .stripTrailingZeros()
              .toPlainString();
        }
      }
    }
    return q.matches("[0-9.]+")
        ? new java.math.BigDecimal(q).stripTrailingZeros().toPlainString()
        : q;
  }

  /** {@code registry/path/name:tag@digest} → {@code name}. */
  static String imageName(String image) {
    String s = image;
    int at = s.indexOf('@');
    if (at >= 0) {
      s = s.substring(0, at);
    }
    int slash = s.lastIndexOf('/');
    s = s.substring(slash + 1);
    int colon = s.indexOf(':');
    return colon >= 0 ? s.substring(0, colon) : s;
  }

  /** The first difference between two normalised trees, or null. */
  static String diff(String path, JsonNode want, JsonNode got) {
    if (want == null && got == null) {
      return null;
    }
    if (want == null || got == null) {
      return path + ": want " + brief(want) + ", got " + brief(got);
    }
    if (want.isObject() && got.isObject()) {
      Set<String> keys = new TreeSet<>();
      want.fieldNames().forEachRemaining(keys::add);
      got.fieldNames().forEachRemaining(keys::add);
      for (String k : keys) {
        String d = diff(path + "." + k, want.get(k), got.get(k));
        if (d != null) {
          return d;
        }
      }
      return null;
    }
    if (want.isArray() && got.isArray()) {
      for (int i = 0; i < Math.max(want.size(), got.size()); i++) {
        String label =
            i < want.size() && want.get(i).has("name") ? want.get(i).get("name").asText() : null;
        if (label == null && i < got.size() && got.get(i).has("name")) {
          label = got.get(i).get("name").asText();
        }
        String d =
            diff(
                path + "[" + (label != null ? label : String.valueOf(i)) + "]",
                i < want.size() ? want.get(i) : null,
                i < got.size() ? got.get(i) : null);
        if (d != null) {
          return d;
        }
      }
      return null;
    }
    return want.equals(got) ? null : path + ": want " + brief(want) + ", got " + brief(got);
  }

  private static String brief(JsonNode n) {
    String s = n == null ? "<absent>" : n.toString();
    return s.length() > 120 ? s.substring(0, 120) + "..." : s;
  }
}
