package dev.isthmus.controlplane.webhooks.validation;

import static dev.isthmus.controlplane.webhooks.validation.VirtualServiceRules.nn;

import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy;
import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyAction;
import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyProvider;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthentication;
import io.fabric8.istio.api.api.security.v1beta1.RequestAuthentication;
import io.fabric8.istio.api.api.security.v1beta1.Source;
import io.fabric8.istio.api.api.type.v1beta1.PolicyTargetReference;
import io.fabric8.istio.api.api.type.v1beta1.WorkloadSelector;
import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code SecurityRules} validates security.istio.io kinds, mirroring Istio's
 * authorization/authentication checks.
 */
final class SecurityRules {
  private static final Set<String> EXACT_KEYS =
      Set.of(
          "source.ip",
          "remote.ip",
          "source.namespace",
          "source.principal",
          "source.serviceAccount",
          "request.auth.principal",
          "request.auth.audiences",
          "request.auth.presenter",
          "destination.ip",
          "destination.port",
          "connection.sni");
  private static final Pattern PREFIX_KEYS =
      Pattern.compile(
          "(request\\.headers\\[.+]|request\\.auth\\.claims\\[.+]|experimental\\.envoy\\.filters\\..+)");
  private static final Pattern CIDR =
      Pattern.compile("(\\d{1,3}(\\.\\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)(/\\d{1,3})?");

  private SecurityRules() {}

  static void peerAuthentication(PeerAuthentication pa, Problems p) {
    var portLevel = pa.getPortLevelMtls();
    if (portLevel != null && !portLevel.isEmpty()) {
      if (pa.getSelector() == null
          || pa.getSelector().getMatchLabels() == null
          || pa.getSelector().getMatchLabels().isEmpty()) {
        p.error("spec.portLevelMtls", "portLevelMtls requires selector");
      }
      portLevel.forEach(
          (port, mtls) -> {
            long n;
            try {
              n = Long.parseLong(port);
            } catch (NumberFormatException e) {
              n = -1;
            }
            if (n < 1 || n > 65535) {
              p.error("spec.portLevelMtls[" + port + "]", "port must be in range 1..65535");
            }
          });
    }
    selector(pa.getSelector(), p);
  }

  static void authorizationPolicy(AuthorizationPolicy ap, Problems p) {
    boolean hasProvider = ap.getActionDetail() instanceof AuthorizationPolicyProvider;
    AuthorizationPolicyAction action = ap.getAction();
    if (action == AuthorizationPolicyAction.CUSTOM) {
      if (!hasProvider) {
        p.error("spec.provider", "`provider` must be specified for CUSTOM action");
      } else {
        var provider = ((AuthorizationPolicyProvider) ap.getActionDetail()).getProvider();
        if (provider == null || Checks.isBlank(provider.getName())) {
          p.error("spec.provider.name", "`provider.name` must not be empty");
        }
      }
    } else if (hasProvider) {
      p.error(
          "spec.provider",
          "`provider` must not be with non CUSTOM action, found "
              + (action == null ? "ALLOW" : action));
    }
    targets(ap.getSelector(), ap.getTargetRef(), ap.getTargetRefs(), p);
    var rules = nn(ap.getRules());
    if (action == AuthorizationPolicyAction.AUDIT
        || action == AuthorizationPolicyAction.DENY
        || action == AuthorizationPolicyAction.CUSTOM) {
      if (rules.isEmpty() && action != AuthorizationPolicyAction.CUSTOM) {
        p.warn("spec.rules", action + " policy without rules matches nothing");
      }
    }
    for (int i = 0; i < rules.size(); i++) {
      var rule = rules.get(i);
      String path = "spec.rules[" + i + "]";
      if (rule == null) {
        p.error(path, "rule must not be null");
        continue;
      }
      if (rule.getFrom() != null) {
        for (int j = 0; j < rule.getFrom().size(); j++) {
          var from = rule.getFrom().get(j);
          if (from == null || from.getSource() == null) {
            p.error(path + ".from[" + j + "].source", "`from.source` must not be nil");
          } else {
            source(from.getSource(), path + ".from[" + j + "].source", p);
          }
        }
      }
      if (rule.getTo() != null) {
        for (int j = 0; j < rule.getTo().size(); j++) {
          var to = rule.getTo().get(j);
          if (to == null || to.getOperation() == null) {
            p.error(path + ".to[" + j + "].operation", "`to.operation` must not be nil");
            continue;
          }
          var op = to.getOperation();
          String opPath = path + ".to[" + j + "].operation";
          ports(p, opPath + ".ports", op.getPorts());
          ports(p, opPath + ".notPorts", op.getNotPorts());
          noEmpty(p, opPath + ".hosts", op.getHosts());
          noEmpty(p, opPath + ".paths", op.getPaths());
          noEmpty(p, opPath + ".methods", op.getMethods());
        }
      }
      var when = nn(rule.getWhen());
      for (int j = 0; j < when.size(); j++) {
        var c = when.get(j);
        String cp = path + ".when[" + j + "]";
        if (Checks.isBlank(c.getKey())) {
          p.error(cp + ".key", "`key` must not be empty");
        } else if (!EXACT_KEYS.contains(c.getKey()) && !PREFIX_KEYS.matcher(c.getKey()).matches()) {
          p.error(cp + ".key", "unknown attribute (" + c.getKey() + ")");
        }
        if (nn(c.getValues()).isEmpty() && nn(c.getNotValues()).isEmpty()) {
          p.error(cp, "at least one of `values` or `notValues` must be set for key " + c.getKey());
        }
        if ("destination.port".equals(c.getKey())) {
          ports(p, cp + ".values", c.getValues());
        }
        // List.of(...).contains throws on null, and a missing key is reported above.
        if (c.getKey() != null
            && List.of("source.ip", "remote.ip", "destination.ip").contains(c.getKey())) {
          ipBlocks(p, cp + ".values", c.getValues());
        }
      }
    }
  }

  private static void source(Source s, String path, Problems p) {
    noEmpty(p, path + ".principals", s.getPrincipals());
    noEmpty(p, path + ".namespaces", s.getNamespaces());
    noEmpty(p, path + ".requestPrincipals", s.getRequestPrincipals());
    ipBlocks(p, path + ".ipBlocks", s.getIpBlocks());
    ipBlocks(p, path + ".notIpBlocks", s.getNotIpBlocks());
    ipBlocks(p, path + ".remoteIpBlocks", s.getRemoteIpBlocks());
    ipBlocks(p, path + ".notRemoteIpBlocks", s.getNotRemoteIpBlocks());
    if (!nn(s.getServiceAccounts()).isEmpty()
        && (!nn(s.getPrincipals()).isEmpty() || !nn(s.getNotPrincipals()).isEmpty())) {
      p.error(path, "cannot set serviceAccounts together with principals or notPrincipals");
    }
  }

  static void requestAuthentication(RequestAuthentication ra, Problems p) {
    targets(ra.getSelector(), ra.getTargetRef(), ra.getTargetRefs(), p);
    var rules = nn(ra.getJwtRules());
    for (int i = 0; i < rules.size(); i++) {
      var r = rules.get(i);
      String path = "spec.jwtRules[" + i + "]";
      if (Checks.isBlank(r.getIssuer())) {
        p.error(path + ".issuer", "issuer must be set");
      }
      if (!Checks.isBlank(r.getJwksUri())) {
        try {
          URI uri = new URI(r.getJwksUri());
          if (uri.getScheme() == null
              || uri.getHost() == null
              || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
            p.error(
                path + ".jwksUri",
                "invalid jwksUri " + Checks.quote(r.getJwksUri()) + ": must be an http(s) URL");
          }
        } catch (Exception e) {
          p.error(
              path + ".jwksUri",
              "invalid jwksUri " + Checks.quote(r.getJwksUri()) + ": " + e.getMessage());
        }
      }
      if (!Checks.isBlank(r.getJwks()) && !Checks.isBlank(r.getJwksUri())) {
        p.error(path, "only one of jwks or jwksUri can be set");
      }
      Checks.duration(p, path + ".timeout", r.getTimeout());
      var headers = nn(r.getFromHeaders());
      for (int j = 0; j < headers.size(); j++) {
        if (Checks.isBlank(headers.get(j).getName())) {
          p.error(path + ".fromHeaders[" + j + "].name", "location header name must be set");
        }
      }
    }
  }

  private static void targets(
      WorkloadSelector selector,
      PolicyTargetReference ref,
      List<PolicyTargetReference> refs,
      Problems p) {
    int set = (selector != null ? 1 : 0) + (ref != null ? 1 : 0) + (nn(refs).isEmpty() ? 0 : 1);
    if (set > 1) {
      p.error("spec", "only one of targetRefs, targetRef or workloadSelector can be set");
    }
    selector(selector, p);
  }

  private static void selector(WorkloadSelector selector, Problems p) {
    if (selector != null) {
      Checks.labels(p, "spec.selector.matchLabels", selector.getMatchLabels());
    }
  }

  private static void noEmpty(Problems p, String path, List<String> values) {
    var vs = nn(values);
    for (int i = 0; i < vs.size(); i++) {
      if (vs.get(i) == null || vs.get(i).isEmpty()) {
        p.error(path + "[" + i + "]", "empty value not allowed");
      }
    }
  }

  private static void ports(Problems p, String path, List<String> ports) {
    var ps = nn(ports);
    for (int i = 0; i < ps.size(); i++) {
      try {
        long n = Long.parseLong(ps.get(i));
        if (n < 0 || n > 65535) {
          p.error(path + "[" + i + "]", "port number " + n + " must be in the range 0..65535");
        }
      } catch (NumberFormatException e) {
        p.error(path + "[" + i + "]", "invalid port " + Checks.quote(ps.get(i)));
      }
    }
  }

  private static void ipBlocks(Problems p, String path, List<String> blocks) {
    var bs = nn(blocks);
    for (int i = 0; i < bs.size(); i++) {
      if (bs.get(i) == null || !CIDR.matcher(bs.get(i)).matches()) {
        p.error(
            path + "[" + i + "]",
            "invalid IP address or CIDR range " + Checks.quote(String.valueOf(bs.get(i))));
      }
    }
  }
}
