package dev.isthmus.translate.render;

import static dev.isthmus.translate.render.IstiodDeployment.mount;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
    Vals v = ctx.values();
    Map<String, String> podLabels = new LinkedHashMap<>(labels);
    podLabels.put("sidecar.istio.io/inject", "false");
    podLabels.put("istio.io/dataplane-mode", "none");
    podLabels.put("service.istio.io/canonical-name", gw.name());
    podLabels.put("service.istio.io/canonical-revision", "latest");
    podLabels.putAll(g.strMap("podLabels"));
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put("istio.io/rev", ctx.revLabel());
    annotations.put("prometheus.io/path", "/stats/prometheus");
    annotations.put("prometheus.io/port", "15020");
    annotations.put("prometheus.io/scrape", "true");
    annotations.put("sidecar.istio.io/inject", "false");
    annotations.putAll(g.strMap("podAnnotations"));
    var b =
        new DeploymentBuilder()
            .withMetadata(K8s.meta(gw.name(), gw.namespace(), labels))
            .withNewSpec()
            .withNewSelector()
            .withMatchLabels(selector)
            .endSelector()
            .withNewStrategy()
            .withType("RollingUpdate")
            .withNewRollingUpdate()
            .withMaxSurge(new IntOrString(g.str("rollingMaxSurge", "100%")))
            .withMaxUnavailable(new IntOrString(g.str("rollingMaxUnavailable", "25%")))
            .endRollingUpdate()
            .endStrategy()
            .withNewTemplate()
            .withNewMetadata()
            .withLabels(podLabels)
            .withAnnotations(annotations)
            .endMetadata()
            .withNewSpec()
            .withServiceAccountName(serviceAccount)
            .withNewSecurityContext()
            .withRunAsUser(1337L)
            .withRunAsGroup(1337L)
            .withRunAsNonRoot(true)
            .endSecurityContext()
            .withContainers(container(ctx, gw, ports))
            .withVolumes(volumes(ctx, g))
            .withTolerations(Workloads.tolerations(g.node("tolerations")))
            .endSpec()
            .endTemplate()
            .endSpec();
    Map<String, String> nodeSelector = g.strMap("nodeSelector");
    if (!nodeSelector.isEmpty()) {
      b.editSpec()
          .editTemplate()
          .editSpec()
          .withNodeSelector(nodeSelector)
          .endSpec()
          .endTemplate()
          .endSpec();
    }
    if (!Workloads.autoscaled(g, "")) {
      b.editSpec().withReplicas(g.integer("replicaCount", 1)).endSpec();
    }
    String priority = v.str("global.priorityClassName", "");
    if (!priority.isEmpty()) {
      b.editSpec()
          .editTemplate()
          .editSpec()
          .withPriorityClassName(priority)
          .endSpec()
          .endTemplate()
          .endSpec();
    }
    return b.build();
  }

  private static Container container(
      RenderContext ctx, GatewayRenderer.Gateway gw, List<ContainerPort> ports) {
    Vals g = gw.values();
    Vals v = ctx.values();
    String hub = g.str("hub", "").isEmpty() ? ctx.hub() : g.str("hub", "");
    String tag = g.str("tag", "").isEmpty() ? ctx.tag() : g.str("tag", "");
    String domain = "$(POD_NAMESPACE).svc." + ctx.clusterDomain();
    List<EnvVar> env = new ArrayList<>();
    env.add(K8s.env("PILOT_CERT_PROVIDER", v.str("global.pilotCertProvider", "istiod")));
    env.add(K8s.env("CA_ADDR", caAddress(ctx)));
    env.add(K8s.fieldEnv("NODE_NAME", "spec.nodeName"));
    env.add(K8s.fieldEnv("POD_NAME", "metadata.name"));
    env.add(K8s.fieldEnv("POD_NAMESPACE", "metadata.namespace"));
    env.add(K8s.fieldEnv("INSTANCE_IP", "status.podIP"));
    env.add(K8s.fieldEnv("HOST_IP", "status.hostIP"));
    env.add(K8s.resourceEnv("ISTIO_CPU_LIMIT", "limits.cpu"));
    env.add(K8s.fieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"));
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
    env.add(K8s.fieldEnv("ISTIO_META_NODE_NAME", "spec.nodeName"));
    String network = v.str("global.network", "");
    if (!network.isEmpty()) {
      env.add(K8s.env("ISTIO_META_NETWORK", network));
    }
    g.strMap("env").forEach((k, val) -> env.add(K8s.env(k, val)));
    return new ContainerBuilder()
        .withName("istio-proxy")
        .withImage(
            K8s.image(
                hub, v.str("global.proxy.image", "proxyv2"), tag, v.str("global.variant", "")))
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
        .withNewReadinessProbe()
        .withNewHttpGet()
        .withPath("/healthz/ready")
        .withPort(new IntOrString(15021))
        .withScheme("HTTP")
        .endHttpGet()
        .withFailureThreshold(30)
        .withInitialDelaySeconds(1)
        .withPeriodSeconds(2)
        .withSuccessThreshold(1)
        .withTimeoutSeconds(1)
        .endReadinessProbe()
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
      vols.add(new VolumeBuilder().withName(n).withNewEmptyDir().endEmptyDir().build());
    }
    vols.add(
        new VolumeBuilder()
            .withName("istiod-ca-cert")
            .withNewConfigMap()
            .withName("istio-ca-root-cert")
            .withDefaultMode(420)
            .endConfigMap()
            .build());
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
      vols.add(new VolumeBuilder().withName(n).withNewEmptyDir().endEmptyDir().build());
    }
    vols.add(Workloads.istioToken("istio-ca"));
    vols.add(
        new VolumeBuilder()
            .withName("config-volume")
            .withNewConfigMap()
            .withName("istio" + ctx.revSuffix())
            .withOptional(true)
            .withDefaultMode(420)
            .endConfigMap()
            .build());
    JsonNode sv = g.node("secretVolumes");
    if (sv != null && sv.isArray()) {
      sv.forEach(
          s ->
              vols.add(
                  IstiodDeployment.secretVolume(
                      s.path("name").asText(), s.path("secretName").asText())));
    }
    return vols;
  }
}
