package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code IstiodDeployment} builds the control plane Deployment. It runs the Isthmus control plane
 * image ({@code <hub>/isthmus-controlplane:<tag>} unless {@code values.pilot.image} says otherwise)
 * with istiod's name, ports, arguments, environment and volumes, so Istio tooling finds it where it
 * expects istiod.
 */
public final class IstiodDeployment {
  /** Default control plane image name under the hub. */
  public static final String IMAGE = "isthmus-controlplane";

  private IstiodDeployment() {}

  /** Builds the Deployment. */
  public static Deployment build(
      RenderContext ctx, Map<String, String> labels, Map<String, String> selector) {
    Vals v = ctx.values();
    String ns = ctx.istioNamespace();
    Map<String, String> podLabels = new LinkedHashMap<>(labels);
    podLabels.put("sidecar.istio.io/inject", "false");
    podLabels.put("istio.io/dataplane-mode", "none");
    podLabels.putAll(v.strMap("pilot.podLabels"));
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put("prometheus.io/port", "15014");
    annotations.put("prometheus.io/scrape", "true");
    annotations.put("sidecar.istio.io/inject", "false");
    annotations.putAll(v.strMap("pilot.podAnnotations"));

    var spec =
        new DeploymentBuilder()
            .withMetadata(K8s.meta(ctx.istiodName(), ns, labels))
            .editMetadata()
            .withAnnotations(emptyToNull(v.strMap("pilot.deploymentAnnotations")))
            .endMetadata()
            .withNewSpec()
            .withNewSelector()
            .withMatchLabels(selector)
            .endSelector()
            .withNewStrategy()
            .withType("RollingUpdate")
            .withNewRollingUpdate()
            .withMaxSurge(new IntOrString(v.str("pilot.rollingMaxSurge", "100%")))
            .withMaxUnavailable(new IntOrString(v.str("pilot.rollingMaxUnavailable", "25%")))
            .endRollingUpdate()
            .endStrategy()
            .withNewTemplate()
            .withNewMetadata()
            .withLabels(podLabels)
            .withAnnotations(annotations)
            .endMetadata()
            .withNewSpec()
            .withServiceAccountName(ctx.istiodName())
            .withContainers(container(ctx))
            .withVolumes(volumes())
            .withTolerations(tolerations(v))
            .withNodeSelector(emptyToNull(v.strMap("pilot.nodeSelector")))
            .endSpec()
            .endTemplate()
            .endSpec();
    if (!Workloads.autoscaled(v, "pilot.")) {
      spec.editSpec().withReplicas(v.integer("pilot.replicaCount", 1)).endSpec();
    }
    String priority = v.str("global.priorityClassName", "");
    if (!priority.isEmpty()) {
      spec.editSpec()
          .editTemplate()
          .editSpec()
          .withPriorityClassName(priority)
          .endSpec()
          .endTemplate()
          .endSpec();
    }
    JsonNode affinity = v.node("pilot.affinity");
    if (affinity != null && affinity.isObject() && !affinity.isEmpty()) {
      spec.editSpec()
          .editTemplate()
          .editSpec()
          .withAffinity(K8s.typed(affinity, io.fabric8.kubernetes.api.model.Affinity.class))
          .endSpec()
          .endTemplate()
          .endSpec();
    }
    return spec.build();
  }

  private static Container container(RenderContext ctx) {
    Vals v = ctx.values();
    String hub = v.str("pilot.hub", "").isEmpty() ? ctx.hub() : v.str("pilot.hub", "");
    String tag = v.str("pilot.tag", "").isEmpty() ? ctx.tag() : v.str("pilot.tag", "");
    List<String> args = new ArrayList<>();
    args.add("discovery");
    args.add("--monitoringAddr=:15014");
    args.add("--log_output_level=" + v.str("global.logging.level", "default:info"));
    if (v.bool("global.logAsJson", false)) {
      args.add("--log_as_json");
    }
    args.add("--domain");
    args.add(ctx.clusterDomain());
    args.add("--keepaliveMaxServerConnectionAge");
    args.add(v.str("pilot.keepaliveMaxServerConnectionAge", "30m"));
    JsonNode extra = v.node("pilot.extraContainerArgs");
    if (extra != null && extra.isArray()) {
      extra.forEach(a -> args.add(a.asText()));
    }
    return new ContainerBuilder()
        .withName("discovery")
        .withImage(K8s.image(hub, v.str("pilot.image", IMAGE), tag, null))
        .withArgs(args)
        .withEnv(env(ctx))
        .withPorts(
            new ContainerPortBuilder()
                .withName("http-debug")
                .withContainerPort(8080)
                .withProtocol("TCP")
                .build(),
            new ContainerPortBuilder()
                .withName("grpc-xds")
                .withContainerPort(15010)
                .withProtocol("TCP")
                .build(),
            new ContainerPortBuilder()
                .withName("tls-xds")
                .withContainerPort(15012)
                .withProtocol("TCP")
                .build(),
            new ContainerPortBuilder()
                .withName("https-webhooks")
                .withContainerPort(15017)
                .withProtocol("TCP")
                .build(),
            new ContainerPortBuilder()
                .withName("http-monitoring")
                .withContainerPort(15014)
                .withProtocol("TCP")
                .build())
        .withNewReadinessProbe()
        .withNewHttpGet()
        .withPath("/ready")
        .withPort(new IntOrString(8080))
        .withScheme("HTTP")
        .endHttpGet()
        .withInitialDelaySeconds(1)
        .withPeriodSeconds(3)
        .withTimeoutSeconds(5)
        .withSuccessThreshold(1)
        .withFailureThreshold(3)
        .endReadinessProbe()
        .withResources(K8s.resources(v.node("pilot.resources")))
        .withNewSecurityContext()
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withRunAsNonRoot(true)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .endSecurityContext()
        .withVolumeMounts(mounts())
        .build();
  }

  private static List<EnvVar> env(RenderContext ctx) {
    Vals v = ctx.values();
    List<EnvVar> env = new ArrayList<>();
    env.add(K8s.env("REVISION", ctx.revLabel()));
    env.add(K8s.env("PILOT_CERT_PROVIDER", v.str("global.pilotCertProvider", "istiod")));
    env.add(K8s.fieldEnv("POD_NAME", "metadata.name"));
    env.add(K8s.fieldEnv("POD_NAMESPACE", "metadata.namespace"));
    env.add(K8s.fieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"));
    env.add(K8s.env("KUBECONFIG", "/var/run/secrets/remote/config"));
    String ztNs = v.str("pilot.trustedZtunnelNamespace", "");
    String ztName = v.str("pilot.trustedZtunnelName", "");
    env.add(
        K8s.env(
            "CA_TRUSTED_NODE_ACCOUNTS",
            (ztNs.isEmpty() ? ctx.istioNamespace() : ztNs)
                + "/"
                + (ztName.isEmpty() ? v.str("ztunnel.resourceName", "ztunnel") : ztName)));
    v.strMap("pilot.env").forEach((k, val) -> env.add(K8s.env(k, val)));
    JsonNode from = v.node("pilot.envVarFrom");
    if (from != null && from.isArray()) {
      from.forEach(e -> env.add(K8s.typed(e, EnvVar.class)));
    }
    String sampling = v.str("pilot.traceSampling", "1.0");
    env.add(K8s.env("PILOT_TRACE_SAMPLING", trimNumber(sampling)));
    env.add(
        K8s.env(
            "PILOT_ENABLE_ANALYSIS",
            String.valueOf(v.bool("global.istiod.enableAnalysis", false))));
    env.add(
        K8s.env(
            "CLUSTER_ID",
            v.str("global.multiCluster.clusterName", "").isEmpty()
                ? "Kubernetes"
                : v.str("global.multiCluster.clusterName", "")));
    if (v.node("pilot.resources.limits.memory") != null) {
      env.add(K8s.resourceEnv("GOMEMLIMIT", "limits.memory"));
    }
    env.add(K8s.resourceEnv("GOMAXPROCS", "limits.cpu"));
    env.add(K8s.env("PLATFORM", v.str("global.platform", "")));
    return env;
  }

  private static String trimNumber(String s) {
    return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
  }

  private static List<VolumeMount> mounts() {
    return List.of(
        mount("istio-token", "/var/run/secrets/tokens", true),
        mount("local-certs", "/var/run/secrets/istio-dns", false),
        mount("cacerts", "/etc/cacerts", true),
        mount("istio-kubeconfig", "/var/run/secrets/remote", true),
        mount("istio-csr-dns-cert", "/var/run/secrets/istiod/tls", true),
        mount("istio-csr-ca-configmap", "/var/run/secrets/istiod/ca", true));
  }

  static VolumeMount mount(String name, String path, boolean readOnly) {
    return new VolumeMountBuilder()
        .withName(name)
        .withMountPath(path)
        .withReadOnly(readOnly ? Boolean.TRUE : null)
        .build();
  }

  private static List<Volume> volumes() {
    return List.of(
        new VolumeBuilder()
            .withName("local-certs")
            .withNewEmptyDir()
            .withMedium("Memory")
            .endEmptyDir()
            .build(),
        Workloads.istioToken("istio-ca"),
        secretVolume("cacerts", "cacerts"),
        secretVolume("istio-kubeconfig", "istio-kubeconfig"),
        secretVolume("istio-csr-dns-cert", "istiod-tls"),
        new VolumeBuilder()
            .withName("istio-csr-ca-configmap")
            .withNewConfigMap()
            .withName("istio-ca-root-cert")
            .withDefaultMode(420)
            .withOptional(true)
            .endConfigMap()
            .build());
  }

  static Volume secretVolume(String name, String secret) {
    return new VolumeBuilder()
        .withName(name)
        .withNewSecret()
        .withSecretName(secret)
        .withOptional(true)
        .withDefaultMode(420)
        .endSecret()
        .build();
  }

  private static List<Toleration> tolerations(Vals v) {
    List<Toleration> out = new ArrayList<>();
    out.add(
        new TolerationBuilder().withKey("cni.istio.io/not-ready").withOperator("Exists").build());
    List<Toleration> extra = Workloads.tolerations(v.node("pilot.tolerations"));
    if (extra != null) {
      out.addAll(extra);
    }
    return out;
  }

  private static Map<String, String> emptyToNull(Map<String, String> m) {
    return m.isEmpty() ? null : m;
  }
}
