package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code ZtunnelRenderer} renders the ambient node proxy: ServiceAccount and DaemonSet {@code
 * ztunnel} (name from {@code values.ztunnel.resourceName}), talking to the control plane for xDS
 * and certificates.
 */
public final class ZtunnelRenderer {
  private ZtunnelRenderer() {}

  /** Renders Ztunnel into {@code ns}. */
  public static List<ObjectNode> render(RenderContext ctx, String ns) {
    Vals v = ctx.values();
    String name = v.str("ztunnel.resourceName", "ztunnel");
    Map<String, String> labels = K8s.labels("app", "ztunnel", "release", "istio");
    labels.putAll(v.strMap("ztunnel.labels"));
    List<ObjectNode> out = new ArrayList<>();
    out.add(K8s.node(new ServiceAccountBuilder().withMetadata(K8s.meta(name, ns, labels)).build()));
    String variant = v.str("ztunnel.variant", v.str("global.variant", ""));
    String ca = v.str("ztunnel.caAddress", "");
    String xds = v.str("ztunnel.xdsAddress", "");
    List<EnvVar> env = new ArrayList<>();
    env.add(K8s.env("CA_ADDRESS", ca.isEmpty() ? ctx.discoveryAddress() : ca));
    env.add(K8s.env("XDS_ADDRESS", xds.isEmpty() ? ctx.discoveryAddress() : xds));
    env.add(K8s.env("RUST_LOG", v.str("ztunnel.logLevel", "info")));
    env.add(K8s.env("RUST_BACKTRACE", "1"));
    String cluster =
        v.str("ztunnel.multiCluster.clusterName", v.str("global.multiCluster.clusterName", ""));
    env.add(K8s.env("ISTIO_META_CLUSTER_ID", cluster.isEmpty() ? "Kubernetes" : cluster));
    env.add(K8s.env("INPOD_ENABLED", "true"));
    int grace = v.integer("ztunnel.terminationGracePeriodSeconds", 30);
    env.add(K8s.env("TERMINATION_GRACE_PERIOD_SECONDS", String.valueOf(grace)));
    env.addAll(
        Pods.fieldEnv("POD_NAME", "POD_NAMESPACE", "NODE_NAME", "INSTANCE_IP", "SERVICE_ACCOUNT"));
    env.add(K8s.env("ISTIO_META_ENABLE_HBONE", "true"));
    env.add(K8s.resourceEnv("ZTUNNEL_CPU_LIMIT", "limits.cpu"));
    String network = v.str("ztunnel.network", v.str("global.network", ""));
    if (!network.isEmpty()) {
      env.add(K8s.env("NETWORK", network));
    }
    Map<String, String> podLabels = Pods.outOfMesh(labels);
    podLabels.putAll(v.strMap("ztunnel.podLabels"));
    var container =
        new ContainerBuilder()
            .withName("istio-proxy")
            .withImage(
                Pods.image(ctx, v.sub("ztunnel"), v.str("ztunnel.image", "ztunnel"), variant))
            .withArgs("proxy", "ztunnel")
            .withEnv(env)
            .addNewPort()
            .withName("ztunnel-stats")
            .withContainerPort(15020)
            .withProtocol("TCP")
            .endPort()
            .withReadinessProbe(Pods.readiness("/healthz/ready", 15021, null, 10, 1, 3))
            .withResources(K8s.resources(v.node("ztunnel.resources")))
            .withNewSecurityContext()
            .withAllowPrivilegeEscalation(true)
            .withPrivileged(false)
            .withReadOnlyRootFilesystem(true)
            .withRunAsGroup(1337L)
            .withRunAsNonRoot(false)
            .withRunAsUser(0L)
            .withNewCapabilities()
            .withAdd("NET_ADMIN", "SYS_ADMIN", "NET_RAW")
            .withDrop("ALL")
            .endCapabilities()
            .endSecurityContext()
            .withVolumeMounts(
                Pods.mount("istiod-ca-cert", "/var/run/secrets/istio", false),
                Pods.mount("istio-token", "/var/run/secrets/tokens", false),
                Pods.mount("cni-ztunnel-sock-dir", "/var/run/ztunnel", false),
                Pods.mount("tmp", "/tmp", false))
            .build();
    out.add(
        K8s.node(
            Workloads.nodeAgent(
                K8s.meta(name, ns, labels),
                K8s.labels("app", "ztunnel"),
                new IntOrString[] {new IntOrString(1), new IntOrString(0)},
                podLabels,
                Pods.scraped(Map.of(), null, 15020, v.strMap("ztunnel.podAnnotations")),
                name,
                grace,
                v.node("ztunnel.tolerations"),
                container,
                Workloads.istioToken("istio-ca"),
                Pods.configMap("istiod-ca-cert", "istio-ca-root-cert", null),
                Pods.hostPath("cni-ztunnel-sock-dir", "/var/run/ztunnel", "DirectoryOrCreate"),
                Pods.emptyDir("tmp"))));
    return out;
  }
}
