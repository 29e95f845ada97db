package dev.isthmus.controlplane.authz;

import dev.isthmus.controlplane.authz.Generators.Gen;
import dev.isthmus.controlplane.authz.Generators.RuleException;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.fabric8.istio.api.api.security.v1beta1.Condition;
import io.fabric8.istio.api.api.security.v1beta1.Operation;
import io.fabric8.istio.api.api.security.v1beta1.Rule;
import io.fabric8.istio.api.api.security.v1beta1.RuleFrom;
import io.fabric8.istio.api.api.security.v1beta1.RuleTo;
import io.fabric8.istio.api.api.security.v1beta1.Source;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code RuleModel} is one rule of an authorization policy with its {@code when} conditions folded
 * into each {@code from} (principals) and each {@code to} (permissions), the shape Envoy's RBAC
 * policy wants: OR over sources, OR over operations, AND inside each.
 */
final class RuleModel {
  static final String SRC_PRINCIPAL = "source.principal";
  static final String SRC_TRUST_DOMAIN = "source.trustDomain";

  /** One attribute with its values and negated values. */
  static final class Attr {
    final String key;
    List<String> values;
    List<String> notValues;
    final Gen gen;

    Attr(String key, List<String> values, List<String> notValues, Gen gen) {
      this.key = key;
      this.values = values;
      this.notValues = notValues;
      this.gen = gen;
    }
  }

  private final List<List<Attr>> permissions = new ArrayList<>();
  private final List<List<Attr>> principals = new ArrayList<>();

  private RuleModel() {}

  /** Reads a rule; an unknown {@code when} key is an error for the whole rule. */
  static RuleModel of(String policyNamespace, Rule r) {
    RuleModel m = new RuleModel();
    List<Attr> basePermission = new ArrayList<>();
    List<Attr> basePrincipal = new ArrayList<>();
    for (Condition when : nn(r.getWhen())) {
      String k = when.getKey() == null ? "" : when.getKey();
      List<String> v = nn(when.getValues());
      List<String> nv = nn(when.getNotValues());
      Gen g = conditionGen(k, policyNamespace);
      boolean permission =
          k.equals("destination.ip")
              || k.equals("destination.port")
              || k.equals("connection.sni")
              || k.startsWith("experimental.envoy.filters.");
      append(permission ? basePermission : basePrincipal, k, v, nv, g);
    }
    Gen sa = Generators.serviceAccount(policyNamespace);
    for (RuleFrom from : nn(r.getFrom())) {
      List<Attr> merged = new ArrayList<>(basePrincipal);
      Source s = from == null ? null : from.getSource();
      if (s != null) {
        // Each insert goes to the front, so the last one inserted (principals) comes first.
        front(merged, "source.ip", s.getIpBlocks(), s.getNotIpBlocks(), Generators.SRC_IP);
        front(
            merged,
            "remote.ip",
            s.getRemoteIpBlocks(),
            s.getNotRemoteIpBlocks(),
            Generators.REMOTE_IP);
        front(
            merged,
            "source.namespace",
            s.getNamespaces(),
            s.getNotNamespaces(),
            Generators.SRC_NAMESPACE);
        trustDomainsFront(merged, s);
        front(
            merged, "source.serviceAccount", s.getServiceAccounts(), s.getNotServiceAccounts(), sa);
        front(
            merged,
            "request.auth.principal",
            s.getRequestPrincipals(),
            s.getNotRequestPrincipals(),
            Generators.REQUEST_PRINCIPAL);
        front(
            merged,
            SRC_PRINCIPAL,
            s.getPrincipals(),
            s.getNotPrincipals(),
            Generators.SRC_PRINCIPAL);
      }
      m.principals.add(merged);
    }
    if (nn(r.getFrom()).isEmpty()) {
      m.principals.add(basePrincipal);
    }
    for (RuleTo to : nn(r.getTo())) {
      List<Attr> merged = new ArrayList<>(basePermission);
      Operation o = to == null ? null : to.getOperation();
      if (o != null) {
        front(merged, "destination.port", o.getPorts(), o.getNotPorts(), Generators.DEST_PORT);
        front(merged, "path-matcher", o.getPaths(), o.getNotPaths(), Generators.PATH);
        front(merged, ":method", o.getMethods(), o.getNotMethods(), Generators.METHOD);
        front(merged, ":authority", o.getHosts(), o.getNotHosts(), Generators.HOST);
      }
      m.permissions.add(merged);
    }
    if (nn(r.getTo()).isEmpty()) {
      m.permissions.add(basePermission);
    }
    return m;
  }

  /**
   * The trust-domain fields arrived after the fabric8 model was generated; read them if present.
   */
  @SuppressWarnings("unchecked")
  private static void trustDomainsFront(List<Attr> merged, Source s) {
    Object td = s.getAdditionalProperties().get("trustDomains");
    Object ntd = s.getAdditionalProperties().get("notTrustDomains");
    List<String> v = td instanceof List<?> l ? (List<String>) l : List.of();
    List<String> nv = ntd instanceof List<?> l ? (List<String>) l : List.of();
    front(merged, SRC_TRUST_DOMAIN, v, nv, Generators.SRC_TRUST_DOMAIN);
  }

  private static Gen conditionGen(String k, String policyNamespace) {
    switch (k) {
      case "destination.ip":
        return Generators.DEST_IP;
      case "destination.port":
        return Generators.DEST_PORT;
      case "connection.sni":
        return Generators.SNI;
      case "source.ip":
        return Generators.SRC_IP;
      case "remote.ip":
        return Generators.REMOTE_IP;
      case "source.namespace":
        return Generators.SRC_NAMESPACE;
      case SRC_TRUST_DOMAIN:
        return Generators.SRC_TRUST_DOMAIN;
      case "source.serviceAccount":
        return Generators.serviceAccount(policyNamespace);
      case SRC_PRINCIPAL:
        return Generators.SRC_PRINCIPAL;
      case "request.auth.principal":
        return Generators.REQUEST_PRINCIPAL;
      case "request.auth.audiences":
        return Generators.jwtList(List.of("aud"));
      case "request.auth.presenter":
        return Generators.jwtList(List.of("azp"));
      default:
        break;
    }
    if (k.startsWith("experimental.envoy.filters.")) {
      return Generators.ENVOY_FILTER;
    }
    if (k.startsWith("request.headers")) {
      return Generators.REQUEST_HEADER;
    }
    if (k.startsWith("request.auth.claims")) {
      return Generators.REQUEST_CLAIMS;
    }
    throw new RuleException("unknown attribute " + k);
  }

  private static void append(List<Attr> l, String k, List<String> v, List<String> nv, Gen g) {
    if (!v.isEmpty() || !nv.isEmpty()) {
      l.add(new Attr(k, v, nv, g));
    }
  }

  private static void front(List<Attr> l, String k, List<String> v, List<String> nv, Gen g) {
    v = nn(v);
    nv = nn(nv);
    if (!v.isEmpty() || !nv.isEmpty()) {
      l.add(0, new Attr(k, v, nv, g));
    }
  }

  static <T> List<T> nn(List<T> l) {
    return l == null ? List.of() : l;
  }

  /** Rewrites principals and trust domains for the mesh's trust domain aliases. */
  void migrateTrustDomain(TrustDomains bundle) {
    for (List<Attr> list : principals) {
      for (int i = 0; i < list.size(); i++) {
        Attr a = list.get(i);
        if (a.key.equals(SRC_PRINCIPAL) || a.key.equals(SRC_TRUST_DOMAIN)) {
          // Attributes are shared between the from-lists of one rule; copy before rewriting.
          Attr c = new Attr(a.key, a.values, a.notValues, a.gen);
          boolean principal = a.key.equals(SRC_PRINCIPAL);
          if (!c.values.isEmpty()) {
            c.values = principal ? bundle.replaceAliases(c.values) : bundle.expandAliases(c.values);
          }
          if (!c.notValues.isEmpty()) {
            c.notValues =
                principal ? bundle.replaceAliases(c.notValues) : bundle.expandAliases(c.notValues);
          }
          list.set(i, c);
        }
      }
    }
  }

  /**
   * Builds the RBAC policy. For ALLOW an attribute that cannot apply (HTTP-only on TCP, a bad IP)
   * fails the whole rule, so the rule allows less; for DENY and AUDIT the attribute is dropped, so
   * the rule matches more.
   */
  Policy generate(
      boolean tcp, boolean useAuthenticated, RBAC.Action action, Consumer<String> dropped) {
    Policy.Builder p = Policy.newBuilder();
    for (List<Attr> list : permissions) {
      List<Permission> and = new ArrayList<>();
      for (Attr a : list) {
        and.addAll(permission(a, tcp, action, dropped));
      }
      p.addPermissions(Trees.permissionAnd(and.isEmpty() ? List.of(Trees.permissionAny()) : and));
    }
    for (List<Attr> list : principals) {
      List<Principal> and = new ArrayList<>();
      for (Attr a : list) {
        and.addAll(principal(a, tcp, useAuthenticated, action, dropped));
      }
      p.addPrincipals(Trees.principalAnd(and.isEmpty() ? List.of(Trees.principalAny()) : and));
    }
    return p.build();
  }

  private static List<Permission> permission(
      Attr a, boolean tcp, RBAC.Action action, Consumer<String> dropped) {
    List<Permission> out = new ArrayList<>();
    if (a.gen.extended()) {
      Permission yes =
          a.values.isEmpty()
              ? null
              : guard(action, dropped, () -> a.gen.permissions(a.key, a.values, tcp));
      if (yes != null) {
        out.add(yes);
      }
      Permission no =
          a.notValues.isEmpty()
              ? null
              : guard(action, dropped, () -> a.gen.permissions(a.key, a.notValues, tcp));
      if (no != null) {
        out.add(Trees.permissionNot(no));
      }
      return out;
    }
    List<Permission> or = new ArrayList<>();
    for (String v : a.values) {
      Permission x = guard(action, dropped, () -> a.gen.permission(a.key, v, tcp));
      if (x != null) {
        or.add(x);
      }
    }
    if (!or.isEmpty()) {
      out.add(Trees.permissionOr(or));
    }
    List<Permission> notOr = new ArrayList<>();
    for (String v : a.notValues) {
      Permission x = guard(action, dropped, () -> a.gen.permission(a.key, v, tcp));
      if (x != null) {
        notOr.add(x);
      }
    }
    if (!notOr.isEmpty()) {
      out.add(Trees.permissionNot(Trees.permissionOr(notOr)));
    }
    return out;
  }

  private static List<Principal> principal(
      Attr a, boolean tcp, boolean authn, RBAC.Action action, Consumer<String> dropped) {
    List<Principal> out = new ArrayList<>();
    if (a.gen.extended()) {
      Principal yes =
          a.values.isEmpty()
              ? null
              : guard(action, dropped, () -> a.gen.principals(a.key, a.values, tcp));
      if (yes != null) {
        out.add(yes);
      }
      Principal no =
          a.notValues.isEmpty()
              ? null
              : guard(action, dropped, () -> a.gen.principals(a.key, a.notValues, tcp));
      if (no != null) {
        out.add(Trees.principalNot(no));
      }
      return out;
    }
    List<Principal> or = new ArrayList<>();
    for (String v : a.values) {
      Principal x = guard(action, dropped, () -> a.gen.principal(a.key, v, tcp, authn));
      if (x != null) {
        or.add(x);
      }
    }
    if (!or.isEmpty()) {
      out.add(Trees.principalOr(or));
    }
    List<Principal> notOr = new ArrayList<>();
    for (String v : a.notValues) {
      Principal x = guard(action, dropped, () -> a.gen.principal(a.key, v, tcp, authn));
      if (x != null) {
        notOr.add(x);
      }
    }
    if (!notOr.isEmpty()) {
      out.add(Trees.principalNot(Trees.principalOr(notOr)));
    }
    return out;
  }

  /**
   * ALLOW propagates the failure (dropping the rule); DENY and AUDIT drop only this value, and a
   * value that is wrong (rather than merely HTTP-only on TCP) is reported.
   */
  private static <T> T guard(RBAC.Action action, Consumer<String> dropped, Supplier<T> f) {
    try {
      return f.get();
    } catch (RuleException e) {
      if (action == RBAC.Action.ALLOW) {
        throw e;
      }
      if (!e.httpOnly) {
        dropped.accept(e.getMessage());
      }
      return null;
    }
  }
}
