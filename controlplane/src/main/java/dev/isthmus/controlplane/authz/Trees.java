package dev.isthmus.controlplane.authz;

import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import java.util.List;

/** {@code Trees} composes RBAC permissions and principals with and/or/not. */
final class Trees {
  private Trees() {}

  static Permission permissionAny() {
    return Permission.newBuilder().setAny(true).build();
  }

  static Permission permissionAnd(List<Permission> rules) {
    return Permission.newBuilder()
        .setAndRules(Permission.Set.newBuilder().addAllRules(rules))
        .build();
  }

  static Permission permissionOr(List<Permission> rules) {
    return Permission.newBuilder()
        .setOrRules(Permission.Set.newBuilder().addAllRules(rules))
        .build();
  }

  static Permission permissionNot(Permission p) {
    return Permission.newBuilder().setNotRule(p).build();
  }

  static Principal principalAny() {
    return Principal.newBuilder().setAny(true).build();
  }

  static Principal principalAnd(List<Principal> ids) {
    return Principal.newBuilder().setAndIds(Principal.Set.newBuilder().addAllIds(ids)).build();
  }

  static Principal principalOr(List<Principal> ids) {
    return Principal.newBuilder().setOrIds(Principal.Set.newBuilder().addAllIds(ids)).build();
  }

  static Principal principalNot(Principal p) {
    return Principal.newBuilder().setNotId(p).build();
  }

  /** A policy with no rules: written out so that it visibly matches nothing. */
  static final Policy MATCH_NEVER =
      Policy.newBuilder()
          .addPermissions(permissionNot(permissionAny()))
          .addPrincipals(principalNot(principalAny()))
          .build();
}
