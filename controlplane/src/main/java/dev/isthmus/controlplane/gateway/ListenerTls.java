package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.gateway.Conditions.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The TLS settings of a listener's Istio server: certificates, CA validation, mode. */
final class ListenerTls {
  static final String TERMINATE_MODE = "gateway.istio.io/tls-terminate-mode";
  static final String LISTENER_MODE = "gateway.istio.io/listener-protocol";
  static final String CIPHER_SUITES = "gateway.istio.io/tls-cipher-suites";

  /** The cipher suites the proxy's TLS library accepts (pre-shared key suites aside). */
  private static final Set<String> CIPHERS =
      Set.of(
          "ECDHE-ECDSA-AES128-GCM-SHA256",
          "ECDHE-RSA-AES128-GCM-SHA256",
          "ECDHE-ECDSA-AES256-GCM-SHA384",
          "ECDHE-RSA-AES256-GCM-SHA384",
          "ECDHE-ECDSA-CHACHA20-POLY1305",
          "ECDHE-RSA-CHACHA20-POLY1305",
          "ECDHE-ECDSA-AES128-SHA",
          "ECDHE-RSA-AES128-SHA",
          "ECDHE-ECDSA-AES256-SHA",
          "ECDHE-RSA-AES256-SHA",
          "AES128-GCM-SHA256",
          "AES256-GCM-SHA384",
          "AES128-SHA",
          "AES256-SHA",
          "DES-CBC3-SHA");

  /** Unknown names would be rejected by the proxy; operator expressions ({@code -X}) pass. */
  static boolean validCipher(String c) {
    if (c.isEmpty() || c.equals("ALL")) {
      return true;
    }
    return !Character.isLetterOrDigit(c.charAt(0)) || CIPHERS.contains(c);
  }

  /** Server TLS settings (null when the listener has no TLS) and the first problem found. */
  record Result(ObjectNode tls, Problem problem) {}

  private final Inputs in;
  private final ReferenceGrants grants;

  ListenerTls(Inputs in, ReferenceGrants grants) {
    this.in = in;
    this.grants = grants;
  }

  Result build(JsonNode gatewayTls, JsonNode tls, JsonNode owner, boolean autoPassthrough) {
    if (tls == null || tls.isMissingNode() || tls.isNull()) {
      return new Result(null, null);
    }
    ObjectNode out = Nodes.object();
    String mode = Nodes.textOr(tls, "Terminate", "mode");
    String ns = Nodes.namespace(owner);
    RouteKind ownerKind = RouteKind.of(Nodes.text(owner, "kind"));
    Map<String, String> options = Nodes.strings(tls, "options");
    if (mode.equals("Terminate")) {
      out.put("mode", "SIMPLE");
      switch (options.getOrDefault(TERMINATE_MODE, "")) {
        case "MUTUAL" -> out.put("mode", "MUTUAL");
        case "OPTIONAL_MUTUAL" -> out.put("mode", "OPTIONAL_MUTUAL");
        case "ISTIO_SIMPLE" -> {
          out.put("credentialName", "builtin://");
          return new Result(out, null);
        }
        case "ISTIO_MUTUAL" -> {
          out.put("mode", "ISTIO_MUTUAL");
          return new Result(out, null);
        }
        default -> {}
      }
      List<JsonNode> refs = Nodes.list(tls, "certificateRefs");
      if (refs.size() > 2) {
        return new Result(
            out,
            new Problem(
                "InvalidCertificateRef", "TLS mode can only support up to 2 server certificates"));
      }
      List<String> names = new ArrayList<>();
      Problem combined = null;
      for (JsonNode ref : refs) {
        String credNs = Nodes.textOr(ref, ns, "namespace");
        if (!credNs.equals(ns)
            && !grants.allowed(ownerKind, ns, RouteKind.SECRET, credNs, Nodes.text(ref, "name"))) {
          combined =
              join(
                  combined,
                  new Problem(
                      "RefNotPermitted",
                      String.format(
                          "certificateRef %s/%s not accessible to a %s in namespace \"%s\" (missing"
                              + " a ReferenceGrant?)",
                          Nodes.text(ref, "name"), credNs, "Gateway", ns)));
          continue;
        }
        try {
          names.add(secretReference(ref, ns));
        } catch (ProblemException e) {
          combined = join(combined, e.problem);
        }
      }
      if (names.isEmpty()) {
        return new Result(out, combined);
      }
      if (names.size() == 1) {
        out.put("credentialName", names.get(0));
      } else {
        out.set("credentialNames", Nodes.array(names));
      }
      List<JsonNode> cas = Nodes.list(gatewayTls, "validation", "caCertificateRefs");
      if (!cas.isEmpty()) {
        if (cas.size() > 1) {
          return new Result(
              out,
              new Problem("InvalidCACertificateRef", "only one caCertificateRef is supported"));
        }
        JsonNode ca = cas.get(0);
        String caNs = Nodes.textOr(ca, ns, "namespace");
        RouteKind caKind =
            RouteKind.normalize(
                Nodes.text(ca, "group"), Nodes.text(ca, "kind"), new RouteKind("", ""));
        RouteKind grantKind =
            caKind.equals(RouteKind.SECRET) ? RouteKind.SECRET : RouteKind.CONFIG_MAP;
        if (!caNs.equals(ns)
            && !grants.allowed(ownerKind, ns, grantKind, caNs, Nodes.text(ca, "name"))) {
          return new Result(
              out,
              new Problem(
                  "RefNotPermitted",
                  String.format(
                      "caCertificateRef %s/%s not accessible to a Gateway in namespace \"%s\""
                          + " (missing a ReferenceGrant?)",
                      caNs, Nodes.text(ca, "name"), ns)));
        }
        String caName;
        try {
          caName = caReference(ca, caKind, caNs);
        } catch (ProblemException e) {
          return new Result(out, e.problem);
        }
        out.put("mode", "MUTUAL");
        out.put("insecureSkipVerify", false);
        if ("AllowInsecureFallback".equals(Nodes.text(gatewayTls, "validation", "mode"))) {
          out.put("mode", "OPTIONAL_MUTUAL");
          out.put("insecureSkipVerify", true);
        }
        out.put("caCertCredentialName", caName);
        switch (options.getOrDefault(TERMINATE_MODE, "")) {
          case "MUTUAL" -> {
            out.put("mode", "MUTUAL");
            out.put("insecureSkipVerify", false);
          }
          case "OPTIONAL_MUTUAL" -> {
            out.put("mode", "OPTIONAL_MUTUAL");
            out.put("insecureSkipVerify", false);
          }
          default -> {}
        }
      }
    } else if (mode.equals("Passthrough")) {
      // PASSTHROUGH is the default mode, left out as Istio leaves it out.
      if (autoPassthrough) {
        out.put("mode", "AUTO_PASSTHROUGH");
      }
    }
    String ciphers = options.getOrDefault(CIPHER_SUITES, "");
    if (!ciphers.isEmpty()) {
      List<String> kept = new ArrayList<>();
      for (String c : ciphers.split(",")) {
        String t = c.trim();
        if (validCipher(t) && !kept.contains(t)) {
          kept.add(t);
        }
      }
      if (!kept.isEmpty()) {
        out.set("cipherSuites", Nodes.array(kept));
      }
    }
    return new Result(out, null);
  }

  static Problem join(Problem a, Problem b) {
    if (b == null) {
      return a;
    }
    if (a == null) {
      return b;
    }
    return new Problem(a.reason(), a.message() + "; " + b.message());
  }

  private String secretReference(JsonNode ref, String ns) throws ProblemException {
    String refString = secretRefString(ref);
    RouteKind kind =
        RouteKind.normalize(Nodes.text(ref, "group"), Nodes.text(ref, "kind"), RouteKind.SECRET);
    if (!kind.equals(RouteKind.SECRET)) {
      throw new ProblemException(
          "InvalidCertificateRef",
          "invalid certificate reference " + refString + ", only secret is allowed");
    }
    String secretNs = Nodes.textOr(ref, ns, "namespace");
    String key = secretNs + "/" + Nodes.text(ref, "name");
    Map<String, byte[]> data = in.secrets.get(key);
    if (data == null) {
      throw new ProblemException(
          "InvalidCertificateRef",
          "invalid certificate reference " + refString + ", secret " + key + " not found");
    }
    byte[][] pair;
    try {
      pair = Certs.certAndKey(data);
    } catch (IllegalArgumentException e) {
      throw new ProblemException(
          "InvalidCertificateRef",
          "invalid certificate reference " + refString + ", " + e.getMessage());
    }
    String why = Certs.keyPairProblem(pair[0], pair[1]);
    if (why != null) {
      throw new ProblemException(
          "InvalidCertificateRef",
          "invalid certificate reference " + refString + ", the certificate is malformed: " + why);
    }
    return "kubernetes-gateway://" + key;
  }

  private String caReference(JsonNode ref, RouteKind kind, String ns) throws ProblemException {
    String refString =
        String.format(
            "%s/%s/%s.%s",
            Nodes.textOr(ref, "", "group"),
            Nodes.textOr(ref, "", "kind"),
            Nodes.textOr(ref, "", "name"),
            Nodes.textOr(ref, "", "namespace"));
    String key = ns + "/" + Nodes.text(ref, "name");
    Map<String, byte[]> data;
    String type;
    if (kind.equals(RouteKind.CONFIG_MAP)) {
      type = "configmap";
      data = in.configMaps.get(key);
      if (data == null) {
        throw new ProblemException(
            "InvalidCACertificateRef",
            "invalid CA certificate reference " + refString + ", configmap " + key + " not found");
      }
    } else if (kind.equals(RouteKind.SECRET)) {
      type = "kubernetes-gateway";
      data = in.secrets.get(key);
      if (data == null) {
        throw new ProblemException(
            "InvalidCACertificateRef",
            "invalid CA certificate reference " + refString + ", secret " + key + " not found");
      }
    } else {
      throw new ProblemException(
          "InvalidCACertificateKind",
          "invalid CA certificate reference "
              + refString
              + ", only secret and configmap are allowed");
    }
    byte[] root;
    try {
      root = Certs.root(data);
    } catch (IllegalArgumentException e) {
      throw new ProblemException(
          "InvalidCACertificateRef",
          "invalid CA certificate reference " + refString + ", " + e.getMessage());
    }
    if (!Certs.validBundle(root)) {
      throw new ProblemException(
          "InvalidCACertificateRef",
          "invalid CA certificate reference " + refString + ", the bundle is malformed");
    }
    return type + "://" + key + "-cacert";
  }

  static String secretRefString(JsonNode ref) {
    return String.format(
        "%s/%s/%s.%s",
        Nodes.textOr(ref, "", "group"),
        Nodes.textOr(ref, "", "kind"),
        Nodes.textOr(ref, "", "name"),
        Nodes.textOr(ref, "", "namespace"));
  }

  /** Carries a {@link Problem} out of a nested check. */
  static final class ProblemException extends Exception {
    final transient Problem problem;

    ProblemException(String reason, String message) {
      super(message, null, false, false);
      this.problem = new Problem(reason, message);
    }
  }
}
