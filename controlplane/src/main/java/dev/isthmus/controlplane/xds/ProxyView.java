package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.Workload;
import java.util.Map;

/**
 * {@code ProxyView} is everything about a proxy that resource generation reads: its type, the
 * namespace it claims, its locality, whether its agent answers DNS, and the workload found at its
 * address (namespace and labels), or the labels it claims when none is. The address itself, the pod
 * name and the node id are only used to find that workload and to name the proxy in logs, so
 * proxies with equal views get equal resources, and a push builds them once.
 *
 * <p>Every generator that starts reading another property of {@link ProxyNode} must add it here;
 * {@code ProxyViewTest} checks that proxies differing in anything else get the same resources as
 * when each is generated alone.
 *
 * @param type proxy type
 * @param namespace the namespace from the node
 * @param locality {@code region/zone/subzone} or empty
 * @param dnsCapture whether the agent asks for the DNS name table
 * @param known whether a workload of the mesh has the proxy's address
 * @param workloadNamespace that workload's namespace, else the node's
 * @param labels that workload's labels, else the node's
 */
record ProxyView(
    ProxyNode.Type type,
    String namespace,
    String locality,
    boolean dnsCapture,
    boolean known,
    String workloadNamespace,
    Map<String, String> labels) {

  static ProxyView of(MeshSnapshot mesh, ProxyNode proxy) {
    Workload w = mesh.workloads().get(proxy.ip());
    return new ProxyView(
        proxy.type(),
        proxy.namespace(),
        proxy.locality(),
        proxy.dnsCapture(),
        w != null,
        w != null ? w.namespace() : proxy.namespace(),
        w != null ? w.labels() : proxy.labels());
  }
}
