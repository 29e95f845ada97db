package dev.isthmus.translate.render;

import static dev.isthmus.translate.render.Pods.mount;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code GatewayDeployment} builds a gateway's Deployment (the stock Istio proxy as router). */
public final class GatewayDeployment {
  private GatewayDeployment() {}

  /** Builds the Deployment for {@code gw}. */
  public static Deployment build(
      RenderContext ctx,
      GatewayRenderer.Gateway gw,
      Map<String, String> labels,
      Map<String, String> selector,
      String serviceAccount,
      List<ContainerPort> ports) {
    Vals g = gw.values();
    Map<String, String> podLabels = Pods.outOfMesh(labels);
    podLabels.put("service.istio.io/canonical-name", gw.name());
    podLabels.put("service.istio.io/canonical-revision", "latest");
    podLabels.putAll(g.strMap("podLabels"));
    Map<String, String> annotations =
        Pods.scraped(
            Map.of("istio.io/rev", ctx.revLabel()),
            "/stats/prometheus",
            15020,
            g.strMap("podAnnotations"));
    return Pods.deployment(
        ctx,
        K8s.meta(gw.name(), gw.namespace(), labels),
        selector,
        g,
        podLabels,
        annotations,
        new PodSpecBuilder()
            .withServiceAccountName(serviceAccount)
            .withNewSecurityContext()
            .withRunAsUser(1337L)
            .withRunAsGroup(1337L)
            .withRunAsNonRoot(true)
            .endSecurityContext()
            .withContainers(container(ctx, gw, ports))
            .withVolumes(volumes(ctx, g))
            .withTolerations(Workloads.tolerations(g.node("tolerations")))
            .withNodeSelector(Pods.emptyToNull(g.strMap("nodeSelector")))
            .build());
  }

  private static Container container(
      RenderContext ctx, GatewayRenderer.Gateway gw, List<ContainerPort> ports) {
    Vals g = gw.values();
    Vals v = ctx.values();
    String domain = "$(POD_NAMESPACE).svc." + ctx.clusterDomain();
    List<EnvVar> env = new ArrayList<>();
    env.add(K8s.env("PILOT_CERT_PROVIDER", v.str("global.pilotCertProvider", "istiod")));
    env.add(K8s.env("CA_ADDR", caAddress(ctx)));
    env.addAll(Pods.fieldEnv("NODE_NAME", "POD_NAME", "POD_NAMESPACE", "INSTANCE_IP", "HOST_IP"));
    env.add(K8s.resourceEnv("ISTIO_CPU_LIMIT", "limits.cpu"));
    env.addAll(Pods.fieldEnv("SERVICE_ACCOUNT"));
    env.add(K8s.env("ISTIO_META_WORKLOAD_NAME", gw.name()));
    env.add(
        K8s.env(
            "ISTIO_META_OWNER",
            "kubernetes://apis/apps/v1/namespaces/"
                + gw.namespace()
                + "/deployments/"
                + gw.name()));
    String meshId = v.str("global.meshID", "");
    String trustDomain = v.str("meshConfig.trustDomain", "cluster.local");
    env.add(K8s.env("ISTIO_META_MESH_ID", meshId.isEmpty() ? trustDomain : meshId));
    env.add(K8s.env("TRUST_DOMAIN", trustDomain));
    env.add(K8s.env("ISTIO_META_UNPRIVILEGED_POD", "true"));
    String cluster = v.str("global.multiCluster.clusterName", "");
    env.add(K8s.env("ISTIO_META_CLUSTER_ID", cluster.isEmpty() ? "Kubernetes" : cluster));
    env.addAll(Pods.fieldEnv("ISTIO_META_NODE_NAME"));
    String network = v.str("global.network", "");
    if (!network.isEmpty()) {
      env.add(K8s.env("ISTIO_META_NETWORK", network));
    }
    g.strMap("env").forEach((k, val) -> env.add(K8s.env(k, val)));
    return new ContainerBuilder()
        .withName("istio-proxy")
        .withImage(
            Pods.image(ctx, g, v.str("global.proxy.image", "proxyv2"), v.str("global.variant", "")))
        .withArgs(
            "proxy",
            "router",
            "--domain",
            domain,
            "--proxyLogLevel=" + v.str("global.proxy.logLevel", "warning"),
            "--proxyComponentLogLevel=" + v.str("global.proxy.componentLogLevel", "misc:error"),
            "--log_output_level=" + v.str("global.logging.level", "default:info"))
        .withEnv(env)
        .withPorts(ports)
        .withReadinessProbe(Pods.readiness("/healthz/ready", 15021, 1, 2, 1, 30))
        .withResources(K8s.resources(g.node("resources")))
        .withNewSecurityContext()
        .withAllowPrivilegeEscalation(false)
        .withPrivileged(v.bool("global.proxy.privileged", false))
        .withReadOnlyRootFilesystem(true)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .endSecurityContext()
        .withVolumeMounts(mounts(g))
        .build();
  }

  static String caAddress(RenderContext ctx) {
    String ca = ctx.values().str("global.caAddress", "");
    return ca.isEmpty() ? ctx.discoveryAddress() : ca;
  }

  private static List<VolumeMount> mounts(Vals g) {
    List<VolumeMount> m = new ArrayList<>();
    m.add(mount("workload-socket", "/var/run/secrets/workload-spiffe-uds", false));
    m.add(mount("credential-socket", "/var/run/secrets/credential-uds", false));
    m.add(mount("workload-certs", "/var/run/secrets/workload-spiffe-credentials", false));
    m.add(mount("istio-envoy", "/etc/istio/proxy", false));
    m.add(mount("config-volume", "/etc/istio/config", false));
    m.add(mount("istiod-ca-cert", "/var/run/secrets/istio", false));
    m.add(mount("istio-token", "/var/run/secrets/tokens", true));
    m.add(mount("istio-data", "/var/lib/istio/data", false));
    m.add(mount("podinfo", "/etc/istio/pod", false));
    JsonNode sv = g.node("secretVolumes");
    if (sv != null && sv.isArray()) {
      sv.forEach(s -> m.add(mount(s.path("name").asText(), s.path("mountPath").asText(), true)));
    }
    return m;
  }

  private static List<Volume> volumes(RenderContext ctx, Vals g) {
    List<Volume> vols = new ArrayList<>();
    for (String n : List.of("workload-socket", "credential-socket", "workload-certs")) {
      vols.add(Pods.emptyDir(n));
    }
    vols.add(Pods.configMap("istiod-ca-cert", "istio-ca-root-cert", null));
    vols.add(
        new VolumeBuilder()
            .withName("podinfo")
            .withNewDownwardAPI()
            .withDefaultMode(420)
            .addNewItem()
            .withPath("labels")
            .withNewFieldRef("v1", "metadata.labels")
            .endItem()
            .addNewItem()
            .withPath("annotations")
            .withNewFieldRef("v1", "metadata.annotations")
            .endItem()
            .endDownwardAPI()
            .build());
    for (String n : List.of("istio-envoy", "istio-data")) {
      vols.add(Pods.emptyDir(n));
    }
    vols.add(Workloads.istioToken("istio-ca"));
    vols.add(Pods.configMap("config-volume", "istio" + ctx.revSuffix(), true));
    JsonNode sv = g.node("secretVolumes");
    if (sv != null && sv.isArray()) {
      sv.forEach(
          s -> vols.add(Pods.secret(s.path("name").asText(), s.path("secretName").asText())));
    }
    return vols;
  }
}
