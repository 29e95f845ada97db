package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.gateway.Conditions.Problem;
import java.util.List;

/** Resolves backend policy references: targets, CA bundles, and the client TLS they make. */
final class BackendTls {
  private final Inputs in;

  BackendTls(Inputs in) {
    this.in = in;
  }

  /** Null when the reference resolves, else Istio's "not found" or "unsupported kind". */
  Problem lookup(RouteKind k, String ns, String name, String kind) {
    String key = ns + "/" + name;
    boolean found;
    if (k.equals(RouteKind.SERVICE)) {
      found = in.services.containsKey(key);
    } else if (k.equals(RouteKind.SERVICE_ENTRY)) {
      found = in.serviceEntries.containsKey(key);
    } else if (k.equals(RouteKind.CONFIG_MAP)) {
      found = in.configMaps.containsKey(key);
    } else if (k.equals(RouteKind.SECRET)) {
      found = in.secrets.containsKey(key);
    } else {
      return new Problem("InvalidKind", "unsupported kind " + kind);
    }
    return found
        ? null
        : new Problem(
            "NotFound", String.format("reference %s/%s (of kind %s) not found", ns, name, kind));
  }

  /** Client TLS settings from a validation stanza; problems go on the conditions. */
  ObjectNode clientTls(JsonNode v, String defaultSni, String ns, Conditions c) {
    ObjectNode tls = Nodes.object();
    tls.put("mode", "SIMPLE");
    String sni = Nodes.text(v, "hostname");
    if (sni == null || sni.isEmpty()) {
      sni = defaultSni;
    }
    if (sni != null) {
      tls.put("sni", sni);
    }
    ArrayNode sans = Nodes.array();
    for (JsonNode s : Nodes.list(v, "subjectAltNames")) {
      String t = Nodes.textOr(s, "", "type");
      if (t.equals("Hostname")) {
        sans.add(Nodes.textOr(s, "", "hostname"));
      } else if (t.equals("URI")) {
        sans.add(Nodes.textOr(s, "", "uri"));
      }
    }
    if (!sans.isEmpty()) {
      tls.set("subjectAltNames", sans);
    }
    String cred = credential(v, ns, c);
    if (!cred.isEmpty()) {
      tls.put("credentialName", cred);
    }
    return tls;
  }

  private String credential(JsonNode v, String ns, Conditions c) {
    String wk = Nodes.text(v, "wellKnownCACertificates");
    if (wk != null) {
      if (!wk.equals("System")) {
        c.fail("Accepted", "Invalid", "Unknown wellKnownCACertificates: " + wk);
      }
      return "";
    }
    List<JsonNode> refs = Nodes.list(v, "caCertificateRefs");
    if (refs.isEmpty()) {
      return "";
    }
    JsonNode ref = refs.get(0);
    if (refs.size() > 1) {
      c.get("Accepted").message += "; warning: only the first caCertificateRefs will be used";
    }
    String name = Nodes.textOr(ref, "", "name");
    String kind = Nodes.textOr(ref, "", "kind");
    RouteKind k = RouteKind.normalize(Nodes.text(ref, "group"), kind, new RouteKind("", ""));
    Problem err = lookup(k, ns, name, kind);
    String message;
    if (err == null) {
      if (k.equals(RouteKind.CONFIG_MAP)) {
        try {
          Certs.root(in.configMaps.get(ns + "/" + name));
          return "configmap://" + ns + "/" + name;
        } catch (IllegalArgumentException e) {
          message = e.getMessage();
          c.fail("ResolvedRefs", "InvalidCACertificateRef", "Certificate invalid: " + message);
        }
      } else {
        message = "unsupported reference kind: " + kind;
        c.fail("ResolvedRefs", "InvalidKind", "Certificate reference invalid: " + message);
      }
    } else if (err.reason().equals("InvalidKind")) {
      message = err.message();
      c.fail("ResolvedRefs", "InvalidKind", "Certificate reference not supported: " + message);
    } else {
      message = err.message();
      c.fail(
          "ResolvedRefs", "InvalidCACertificateRef", "Certificate reference not found: " + message);
    }
    c.fail("Accepted", "NoValidCACertificate", "Certificate reference invalid: " + message);
    return "invalid://";
  }
}
