package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isthmus.controlplane.gateway.Conditions.Problem;
import java.util.Map;

/** Checks {@code spec.tls.backend.clientCertificateRef} of a Gateway. */
final class BackendClientCert {
  private BackendClientCert() {}

  static Problem check(Inputs in, JsonNode gw) {
    JsonNode ref = Nodes.at(gw, "spec", "tls", "backend", "clientCertificateRef");
    if (ref.isMissingNode() || ref.isNull()) {
      return null;
    }
    String ns = Nodes.namespace(gw);
    String refString = ListenerTls.secretRefString(ref);
    if (!RouteKind.normalize(Nodes.text(ref, "group"), Nodes.text(ref, "kind"), RouteKind.SECRET)
        .equals(RouteKind.SECRET)) {
      return new Problem(
          "InvalidClientCertificateRef",
          "invalid clientCertificateRef " + refString + ", only secret is allowed");
    }
    String credNs = Nodes.textOr(ref, ns, "namespace");
    String key = credNs + "/" + Nodes.text(ref, "name");
    Map<String, byte[]> data = in.secrets.get(key);
    if (data == null) {
      return new Problem(
          "InvalidClientCertificateRef",
          "invalid clientCertificateRef " + refString + ", secret " + key + " not found");
    }
    try {
      byte[][] pair = Certs.certAndKey(data);
      String why = Certs.keyPairProblem(pair[0], pair[1]);
      if (why != null) {
        return new Problem(
            "InvalidClientCertificateRef",
            "invalid clientCertificateRef " + refString + ", the certificate is malformed: " + why);
      }
    } catch (IllegalArgumentException e) {
      return new Problem(
          "InvalidClientCertificateRef",
          "invalid clientCertificateRef " + refString + ", " + e.getMessage());
    }
    if (!credNs.equals(ns)
        && !new ReferenceGrants(in)
            .allowed(RouteKind.GATEWAY, ns, RouteKind.SECRET, credNs, Nodes.text(ref, "name"))) {
      return new Problem(
          "RefNotPermitted",
          String.format(
              "clientCertificateRef %s/%s not accessible to a Gateway in namespace \"%s\" (missing"
                  + " a ReferenceGrant?)",
              Nodes.text(ref, "name"), credNs, ns));
    }
    return null;
  }
}
