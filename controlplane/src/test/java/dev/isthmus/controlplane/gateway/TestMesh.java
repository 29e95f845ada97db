package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.gateway.GatewayApiSnapshot.Port;
import dev.isthmus.controlplane.gateway.GatewayApiSnapshot.RegistryService;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The mesh every corpus case runs in, as Istio's conversion test sets it up: a fixed list of
 * registry services (the ingress gateway with external address 1.2.3.4 and a few dozen backends),
 * Kubernetes Services for those under the domain suffix, TLS secrets and CA config maps, and a
 * namespace (labelled with the first part of its name) for every namespace an input names.
 */
final class TestMesh {
  static final String DOMAIN = "domain.suffix";
  static final JsonNodeFactory F = JsonNodeFactory.instance;
  static final String CERT;
  static final String KEY;

  static {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      KeyPair kp = g.generateKeyPair();
      X500Name n = new X500Name("CN=test");
      X509Certificate c =
          new JcaX509CertificateConverter()
              .getCertificate(
                  new JcaX509v3CertificateBuilder(
                          n,
                          BigInteger.ONE,
                          new Date(0),
                          new Date(4102444800000L),
                          n,
                          kp.getPublic())
                      .build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate())));
      CERT = pem(c);
      KEY = pem(kp);
    } catch (Exception e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static String pem(Object o) throws java.io.IOException {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter p = new JcaPEMWriter(w)) {
      p.writeObject(o);
    }
    return w.toString();
  }

  /** hostname, namespace, service name (null: first label of the hostname). */
  private static final String[][] BACKENDS = {
    {"example.com", "istio-system", null},
    {"httpbin.default.svc.domain.suffix", "default", null},
    {"httpbin-apple.apple.svc.domain.suffix", "apple", null},
    {"httpbin-banana.banana.svc.domain.suffix", "banana", null},
    {"httpbin-second.default.svc.domain.suffix", "default", null},
    {"httpbin-wildcard.default.svc.domain.suffix", "default", null},
    {"foo-svc.default.svc.domain.suffix", "default", null},
    {"httpbin-other.default.svc.domain.suffix", "default", null},
    {"example.default.svc.domain.suffix", "default", null},
    {"echo.default.svc.domain.suffix", "default", null},
    {"httpbin.cert.svc.domain.suffix", "cert", null},
    {"my-svc.service.svc.domain.suffix", "service", null},
    {"google.com", "default", null},
    {"a-example.allowed-1.svc.domain.suffix", "allowed-1", null},
    {"a-example.allowed-2.svc.domain.suffix", "allowed-2", null},
    {"b-example.allowed-1.svc.domain.suffix", "allowed-1", null},
    {"svc2.allowed-1.svc.domain.suffix", "allowed-1", null},
    {"svc2.allowed-2.svc.domain.suffix", "allowed-2", null},
    {"svc1.allowed-1.svc.domain.suffix", "allowed-1", null},
    {"svc3.allowed-2.svc.domain.suffix", "allowed-2", null},
    {"svc4.default.svc.domain.suffix", "default", null},
    {"httpbin.group-namespace1.svc.domain.suffix", "group-namespace1", null},
    {"httpbin.group-namespace2.svc.domain.suffix", "group-namespace2", null},
    {"httpbin-zero.default.svc.domain.suffix", "default", null},
    {"httpbin.istio-system.svc.domain.suffix", "istio-system", null},
    {"httpbin-mirror.default.svc.domain.suffix", "default", null},
    {"httpbin-foo.default.svc.domain.suffix", "default", null},
    {"httpbin-alt.default.svc.domain.suffix", "default", null},
    {"secure.example.net", "default", null},
    {"cross.example.net", "allowed-1", null},
    {"plaintext.example.net", "default", null},
    {"tcp.example.net", "default", null},
    {"istiod.istio-system.svc.domain.suffix", "istio-system", null},
    {"echo.istio-system.svc.domain.suffix", "istio-system", null},
    {"httpbin-bad.default.svc.domain.suffix", "default", null},
    {"echo-1.default.svc.domain.suffix", "default", "echo-1"},
    {"echo-2.default.svc.domain.suffix", "default", "echo-2"},
    {"echo-port.default.svc.domain.suffix", "default", "echo-port"},
    {"not-found.default.svc.domain.suffix", "default", "not-found"},
  };

  /** Inference pools whose shadow services exist: pool name, endpoint picker service, port. */
  private static final String[][] POOLS = {
    {"infpool-gen", "ext-proc-svc"},
    {"infpool-gen2", "ext-proc-svc-2"},
    {"infpool-model1", "model1-epp"},
    {"infpool-model2", "model2-epp"},
  };

  private TestMesh() {}

  private static List<Port> ports(int... numbers) {
    String[][] names = {
      {"80", "http", "HTTP"},
      {"443", "https", "HTTPS"},
      {"34000", "tcp", "TCP"},
      {"34001", "tcp-other", "TCP"},
      {"54321", "http", "HTTP"}
    };
    List<Port> out = new ArrayList<>();
    for (int i = 0; i < numbers.length; i++) {
      String name = "";
      String protocol = "";
      for (String[] n : names) {
        if (Integer.parseInt(n[0]) == numbers[i]) {
          name = n[1];
          protocol = n[2];
        }
      }
      // The first port's endpoints listen elsewhere, so address hints have something to find.
      out.add(new Port(name, numbers[i], protocol, List.of(i == 0 ? 8080 : 0)));
    }
    return out;
  }

  static List<RegistryService> services() {
    List<RegistryService> out = new ArrayList<>();
    out.add(
        new RegistryService(
            "istio-ingressgateway.istio-system.svc.domain.suffix",
            "istio-system",
            Map.of(),
            "",
            ports(80, 443, 34000, 34001),
            List.of(),
            List.of("1.2.3.4")));
    for (String[] b : BACKENDS) {
      out.add(
          new RegistryService(
              b[0], b[1], Map.of(), "", ports(80, 34000, 34001), List.of(), List.of()));
    }
    for (String[] p : POOLS) {
      Map<String, String> labels = new LinkedHashMap<>();
      labels.put("istio.io/inferencepool-extension-service", p[1]);
      labels.put("istio.io/inferencepool-extension-port", "9002");
      labels.put("istio.io/inferencepool-extension-failure-mode", "FailClose");
      String host = Backends.InferencePools.serviceName(p[0]) + ".default.svc." + DOMAIN;
      boolean small = p[0].equals("infpool-gen") || p[0].equals("infpool-gen2");
      out.add(
          new RegistryService(
              host,
              "default",
              labels,
              "",
              small ? ports(54321) : ports(80, 34000, 34001),
              List.of(),
              List.of()));
    }
    return out;
  }

  /** The objects every case has besides its own: Services, Secrets, ConfigMaps, Namespaces. */
  static List<JsonNode> objects(List<JsonNode> input) {
    List<JsonNode> out = new ArrayList<>();
    for (RegistryService s : services()) {
      if (!s.hostname().endsWith(DOMAIN)) {
        continue;
      }
      String name = s.hostname().substring(0, s.hostname().indexOf('.'));
      for (String[] b : BACKENDS) {
        if (b[0].equals(s.hostname()) && b[2] != null) {
          name = b[2];
        }
      }
      ObjectNode svc = object("v1", "Service", s.namespace(), name);
      ArrayNode ports = svc.putObject("spec").putArray("ports");
      ports.addObject().put("name", "http").put("port", 80).put("protocol", "HTTP");
      ports.addObject().put("name", "tcp").put("port", 34000).put("protocol", "TCP");
      ports.addObject().put("name", "tcp-other").put("port", 34001).put("protocol", "TCP");
      out.add(svc);
    }
    out.add(secret("istio-system", "my-cert-http", true));
    out.add(secret("ns2", "ns2-cert", false));
    out.add(secret("ns3", "ns3-cert", false));
    out.add(secret("ns4", "ns4-cert", false));
    out.add(secret("istio-system", "my-cert", false));
    out.add(secret("istio-system", "my-cert-http2", false));
    out.add(secret("cert", "cert", false));
    out.add(secret("bookinfo", "bookinfo-secret", false));
    out.add(secret("bookinfo", "another-secret", false));
    ObjectNode malformed = object("v1", "Secret", "istio-system", "malformed");
    String garbage = b64("SGVsbG8gd29ybGQK");
    malformed.putObject("data").put("tls.crt", garbage).put("tls.key", garbage);
    out.add(malformed);
    out.add(configMap("istio-system", "malformed", "not-ca.crt", "hello"));
    out.add(configMap("istio-system", "malformed-trustbundle", "ca.crt", "hello"));
    out.add(configMap("istio-system", "my-cert-http", "ca.crt", CERT));
    out.add(configMap("default", "malformed", "not-ca.crt", "hello"));
    out.add(configMap("default", "auth-cert", "ca.crt", CERT));
    TreeSet<String> namespaces = new TreeSet<>();
    for (JsonNode o : input) {
      String ns = o.path("metadata").path("namespace").asText("");
      if (!ns.isEmpty()) {
        namespaces.add(ns);
      }
    }
    for (String ns : namespaces) {
      ObjectNode n = object("v1", "Namespace", "", ns);
      ((ObjectNode) n.get("metadata"))
          .putObject("labels")
          .put("istio.io/test-name-part", ns.split("-")[0]);
      out.add(n);
    }
    return out;
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static ObjectNode object(String apiVersion, String kind, String ns, String name) {
    ObjectNode o = F.objectNode();
    o.put("apiVersion", apiVersion);
    o.put("kind", kind);
    ObjectNode m = o.putObject("metadata");
    m.put("name", name);
    if (!ns.isEmpty()) {
      m.put("namespace", ns);
    }
    return o;
  }

  private static ObjectNode secret(String ns, String name, boolean withCa) {
    ObjectNode s = object("v1", "Secret", ns, name);
    ObjectNode d = s.putObject("data");
    d.put("tls.crt", b64(CERT));
    d.put("tls.key", b64(KEY));
    if (withCa) {
      d.put("ca.crt", b64(CERT));
    }
    return s;
  }

  private static ObjectNode configMap(String ns, String name, String key, String value) {
    ObjectNode c = object("v1", "ConfigMap", ns, name);
    c.putObject("data").put(key, value);
    return c;
  }
}
