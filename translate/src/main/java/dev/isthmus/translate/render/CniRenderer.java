package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code CniRenderer} renders the Istio CNI node agent: DaemonSet {@code istio-cni-node}, its
 * ServiceAccount, ClusterRoles (base, repair, ambient) with bindings and the {@code
 * istio-cni-config} ConfigMap it reads its settings from.
 */
public final class CniRenderer {
  private CniRenderer() {}

  /** Renders Cni into {@code ns}. */
  public static List<ObjectNode> render(RenderContext ctx, String ns) {
    Vals v = ctx.values();
    Map<String, String> labels = K8s.labels("k8s-app", "istio-cni-node", "release", "istio");
    List<ObjectNode> out = new ArrayList<>();
    out.add(
        K8s.node(
            new ServiceAccountBuilder().withMetadata(K8s.meta("istio-cni", ns, labels)).build()));
    Map<String, List<PolicyRule>> roles = new LinkedHashMap<>();
    roles.put("istio-cni" + ctx.revSuffix(), Rbac.cniRules());
    if (v.bool("cni.repair.enabled", true)) {
      roles.put("istio-cni-repair-role" + ctx.revSuffix(), Rbac.cniRepairRules());
    }
    if (v.bool("cni.ambient.enabled", false)) {
      roles.put("istio-cni-ambient" + ctx.revSuffix(), Rbac.cniAmbientRules());
    }
    out.addAll(Rbac.boundClusterRoles(roles, labels, "istio-cni", ns));
    out.add(K8s.node(configMap(ctx, ns, labels)));
    out.add(K8s.node(daemonSet(ctx, ns, labels)));
    return out;
  }

  private static io.fabric8.kubernetes.api.model.ConfigMap configMap(
      RenderContext ctx, String ns, Map<String, String> labels) {
    Vals v = ctx.values();
    Map<String, String> data = new LinkedHashMap<>();
    data.put("CURRENT_AGENT_VERSION", ctx.tag());
    data.put("AMBIENT_ENABLED", String.valueOf(v.bool("cni.ambient.enabled", false)));
    data.put("AMBIENT_DNS_CAPTURE", String.valueOf(v.bool("cni.ambient.dnsCapture", true)));
    data.put("AMBIENT_IPV6", String.valueOf(v.bool("cni.ambient.ipv6", true)));
    data.put("CHAINED_CNI_PLUGIN", String.valueOf(v.bool("cni.chained", true)));
    data.put("CNI_NET_DIR", v.str("cni.cniConfDir", "/etc/cni/net.d"));
    data.put("EXCLUDED_NAMESPACES", String.join(",", texts(v.node("cni.excludeNamespaces"))));
    data.put("REPAIR_ENABLED", String.valueOf(v.bool("cni.repair.enabled", true)));
    data.put("REPAIR_LABEL_PODS", String.valueOf(v.bool("cni.repair.labelPods", false)));
    data.put("REPAIR_DELETE_PODS", String.valueOf(v.bool("cni.repair.deletePods", false)));
    data.put("REPAIR_REPAIR_PODS", String.valueOf(v.bool("cni.repair.repairPods", true)));
    data.put(
        "REPAIR_BROKEN_POD_LABEL_KEY",
        v.str("cni.repair.brokenPodLabelKey", "cni.istio.io/uninitialized"));
    data.put("REPAIR_BROKEN_POD_LABEL_VALUE", v.str("cni.repair.brokenPodLabelValue", "true"));
    data.put(
        "REPAIR_INIT_CONTAINER_NAME", v.str("cni.repair.initContainerName", "istio-validation"));
    data.put("LOG_LEVEL", v.str("cni.logging.level", "info"));
    data.put("NATIVE_NFTABLES", String.valueOf(v.bool("global.nativeNftables", false)));
    return new ConfigMapBuilder()
        .withMetadata(K8s.meta("istio-cni-config" + ctx.revSuffix(), ns, labels))
        .withData(data)
        .build();
  }

  private static List<String> texts(JsonNode n) {
    List<String> out = new ArrayList<>();
    if (n != null && n.isArray()) {
      n.forEach(e -> out.add(e.asText()));
    }
    return out;
  }

  private static io.fabric8.kubernetes.api.model.apps.DaemonSet daemonSet(
      RenderContext ctx, String ns, Map<String, String> labels) {
    Vals v = ctx.values();
    List<EnvVar> env = new ArrayList<>();
    env.addAll(Pods.fieldEnv("REPAIR_NODE_NAME"));
    env.add(K8s.env("REPAIR_RUN_AS_DAEMON", "true"));
    env.add(K8s.env("REPAIR_SIDECAR_ANNOTATION", "sidecar.istio.io/status"));
    env.add(K8s.env("ALLOW_SWITCH_TO_HOST_NS", "true"));
    env.addAll(Pods.fieldEnv("NODE_NAME"));
    env.add(K8s.resourceEnv("GOMEMLIMIT", "limits.memory"));
    env.add(K8s.resourceEnv("GOMAXPROCS", "limits.cpu"));
    env.addAll(Pods.fieldEnv("POD_NAME", "POD_NAMESPACE"));
    var container =
        new ContainerBuilder()
            .withName("install-cni")
            .withImage(
                Pods.image(
                    ctx,
                    v.sub("cni"),
                    v.str("cni.image", "install-cni"),
                    v.str("global.variant", "")))
            .withCommand("install-cni")
            .withArgs("--log_output_level=" + v.str("cni.logging.level", "info"))
            .withEnv(env)
            .addNewEnvFrom()
            .withNewConfigMapRef()
            .withName("istio-cni-config" + ctx.revSuffix())
            .endConfigMapRef()
            .endEnvFrom()
            .addNewPort()
            .withName("metrics")
            .withContainerPort(15014)
            .withProtocol("TCP")
            .endPort()
            .withReadinessProbe(Pods.readiness("/readyz", 8000, null, 10, 1, 3))
            .withResources(K8s.resources(v.node("cni.resources")))
            .withNewSecurityContext()
            .withPrivileged(false)
            .withRunAsGroup(0L)
            .withRunAsUser(0L)
            .withRunAsNonRoot(false)
            .withNewCapabilities()
            .withAdd("NET_ADMIN", "NET_RAW", "SYS_PTRACE", "SYS_ADMIN", "DAC_OVERRIDE")
            .withDrop("ALL")
            .endCapabilities()
            .endSecurityContext()
            .withVolumeMounts(
                Pods.mount("cni-bin-dir", "/host/opt/cni/bin", false),
                Pods.mount("cni-host-procfs", "/host/proc", true),
                Pods.mount("cni-net-dir", "/host/etc/cni/net.d", false),
                Pods.mount("cni-socket-dir", "/var/run/istio-cni", false))
            .build();
    return Workloads.nodeAgent(
        K8s.meta("istio-cni-node", ns, labels),
        K8s.labels("k8s-app", "istio-cni-node"),
        new IntOrString[] {null, new IntOrString(1)},
        Pods.outOfMesh(labels),
        Pods.scraped(
            Map.of("container.apparmor.security.beta.kubernetes.io/install-cni", "unconfined"),
            "/metrics",
            15014,
            Map.of()),
        "istio-cni",
        (long) v.integer("cni.terminationGracePeriodSeconds", 30),
        v.node("cni.tolerations"),
        container,
        Pods.hostPath("cni-bin-dir", v.str("cni.cniBinDir", "/opt/cni/bin"), null),
        Pods.hostPath("cni-host-procfs", "/proc", "Directory"),
        Pods.hostPath("cni-net-dir", v.str("cni.cniConfDir", "/etc/cni/net.d"), null),
        Pods.hostPath("cni-socket-dir", "/var/run/istio-cni", null),
        Pods.hostPath(
            "cni-netns-dir", v.str("cni.cniNetnsDir", "/var/run/netns"), "DirectoryOrCreate"));
  }
}
