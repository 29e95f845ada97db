package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.Workload;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthentication;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLS;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLSMode;
import java.util.Map;

/**
 * {@code PeerAuthentications} resolves the effective mutual TLS mode of a workload port the way
 * Istio does: the workload-selected PeerAuthentication in the workload's namespace (its {@code
 * portLevelMtls} entry for the port first), then the namespace-wide one, then the mesh-wide one in
 * the root namespace; {@code UNSET} inherits from the next level, and with nothing set the mode is
 * {@code PERMISSIVE}. Among several candidates at one level the oldest wins.
 */
final class PeerAuthentications {
  /** Effective mode of one port. */
  enum Mode {
    STRICT,
    PERMISSIVE,
    DISABLE
  }

  private final PeerAuthentication workload;
  private final PeerAuthentication namespace;
  private final PeerAuthentication root;

  PeerAuthentications(MeshSnapshot mesh, ProxyNode proxy) {
    Workload w = mesh.workloads().get(proxy.ip());
    Map<String, String> labels = w != null ? w.labels() : proxy.labels();
    String ns = w != null ? w.namespace() : proxy.namespace();
    PeerAuthentication wl = null;
    PeerAuthentication nsWide = null;
    PeerAuthentication meshWide = null;
    for (ConfigEntry<PeerAuthentication> e : mesh.peerAuthentications()) {
      PeerAuthentication pa = e.spec();
      boolean hasSelector =
          pa.getSelector() != null
              && pa.getSelector().getMatchLabels() != null
              && !pa.getSelector().getMatchLabels().isEmpty();
      if (e.namespace().equals(ns)) {
        if (hasSelector) {
          if (wl == null
              && pa.getSelector().getMatchLabels().entrySet().stream()
                  .allMatch(x -> x.getValue().equals(labels.get(x.getKey())))) {
            wl = pa;
          }
        } else if (nsWide == null) {
          nsWide = pa;
        }
      } else if (e.namespace().equals(mesh.rootNamespace()) && !hasSelector && meshWide == null) {
        meshWide = pa;
      }
    }
    this.workload = wl;
    this.namespace = nsWide;
    this.root = meshWide;
  }

  /**
   * What clients assume of the workloads of a namespace, as Istio's automatic mutual TLS does (its
   * best effort: workload-level policies are not looked at): the namespace-wide mode, else the
   * mesh-wide one, else {@code PERMISSIVE}.
   */
  static Mode namespaceMode(MeshSnapshot mesh, String namespace) {
    Mode nsWide = null;
    Mode meshWide = null;
    boolean nsSeen = false;
    boolean meshSeen = false;
    for (ConfigEntry<PeerAuthentication> e : mesh.peerAuthentications()) {
      PeerAuthentication pa = e.spec();
      if (pa.getSelector() != null
          && pa.getSelector().getMatchLabels() != null
          && !pa.getSelector().getMatchLabels().isEmpty()) {
        continue;
      }
      // the oldest namespace-wide policy of a namespace is the one that counts
      if (e.namespace().equals(mesh.rootNamespace())) {
        if (!meshSeen) {
          meshSeen = true;
          meshWide = of(pa.getMtls());
        }
      } else if (e.namespace().equals(namespace) && !nsSeen) {
        nsSeen = true;
        nsWide = of(pa.getMtls());
      }
    }
    if (namespace.equals(mesh.rootNamespace())) {
      nsWide = meshWide;
    }
    return nsWide != null ? nsWide : meshWide != null ? meshWide : Mode.PERMISSIVE;
  }

  /** Ports the workload's policy sets a mode for ({@code portLevelMtls}). */
  java.util.Set<Integer> portLevelPorts() {
    java.util.Set<Integer> out = new java.util.TreeSet<>();
    if (workload != null && workload.getPortLevelMtls() != null) {
      for (String p : workload.getPortLevelMtls().keySet()) {
        try {
          out.add(Integer.parseInt(p));
        } catch (NumberFormatException e) {
          // validation reports it; a port that is not a number matches no connection
        }
      }
    }
    return out;
  }

  /** Mode for traffic to the workload's {@code targetPort}. */
  Mode mode(int targetPort) {
    if (workload != null && workload.getPortLevelMtls() != null) {
      Mode m = of(workload.getPortLevelMtls().get(Integer.toString(targetPort)));
      if (m != null) {
        return m;
      }
    }
    return defaultMode();
  }

  /** Mode for ports without a port-level setting. */
  Mode defaultMode() {
    for (PeerAuthentication pa : new PeerAuthentication[] {workload, namespace, root}) {
      Mode m = pa == null ? null : of(pa.getMtls());
      if (m != null) {
        return m;
      }
    }
    return Mode.PERMISSIVE;
  }

  private static Mode of(PeerAuthenticationMutualTLS mtls) {
    if (mtls == null || mtls.getMode() == null) {
      return null;
    }
    PeerAuthenticationMutualTLSMode m = mtls.getMode();
    if (m == PeerAuthenticationMutualTLSMode.STRICT) {
      return Mode.STRICT;
    } else if (m == PeerAuthenticationMutualTLSMode.PERMISSIVE) {
      return Mode.PERMISSIVE;
    } else if (m == PeerAuthenticationMutualTLSMode.DISABLE) {
      return Mode.DISABLE;
    }
    return null;
  }
}
