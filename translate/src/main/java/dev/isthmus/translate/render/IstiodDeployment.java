package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code IstiodDeployment} builds the control plane Deployment. It runs the Isthmus control plane
 * image ({@code isthmus/isthmus-controlplane:<release>} unless {@code values.pilot.*} say
 * otherwise) with istiod's name, ports, arguments, environment and volumes, so Istio tooling finds
 * it where it expects istiod.
 */
public final class IstiodDeployment {
  /**
   * Isthmus's own image namespace. The control plane is not Istio's {@code pilot} image, so it
   * never takes Istio's hub or tag ({@code spec.hub}/{@code spec.tag}, {@code values.global.*},
   * which still name the stock {@code proxyv2}): {@code values.pilot.hub} and {@code
   * values.pilot.tag} override these, and a {@code values.pilot.image} containing {@code /} is used
   * as it is.
   */
  public static final String HUB = "isthmus";

  /** The control plane image's tag: the Isthmus release. */
  public static final String TAG = "0.1.0";

  /** Default control plane image name under the hub. */
  public static final String IMAGE = "isthmus-controlplane";

  private IstiodDeployment() {}

  /** Builds the Deployment. */
  public static Deployment build(
      RenderContext ctx, Map<String, String> labels, Map<String, String> selector) {
    Vals v = ctx.values();
    Vals pilot = v.sub("pilot");
    Map<String, String> podLabels = Pods.outOfMesh(labels);
    podLabels.putAll(pilot.strMap("podLabels"));
    JsonNode affinity = pilot.node("affinity");
    return Pods.deployment(
        ctx,
        new ObjectMetaBuilder(K8s.meta(ctx.istiodName(), ctx.istioNamespace(), labels))
            .withAnnotations(Pods.emptyToNull(pilot.strMap("deploymentAnnotations")))
            .build(),
        selector,
        pilot,
        podLabels,
        Pods.scraped(Map.of(), null, 15014, pilot.strMap("podAnnotations")),
        new PodSpecBuilder()
            .withServiceAccountName(ctx.istiodName())
            .withContainers(container(ctx))
            .withVolumes(volumes())
            .withTolerations(tolerations(v))
            .withNodeSelector(Pods.emptyToNull(pilot.strMap("nodeSelector")))
            .withAffinity(
                affinity != null && affinity.isObject() && !affinity.isEmpty()
                    ? K8s.typed(affinity, Affinity.class)
                    : null)
            .build());
  }

  private static Container container(RenderContext ctx) {
    Vals v = ctx.values();
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
        .withImage(image(v))
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
        .withReadinessProbe(Pods.readiness("/ready", 8080, 1, 3, 5, 3))
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
    env.addAll(Pods.fieldEnv("POD_NAME", "POD_NAMESPACE", "SERVICE_ACCOUNT"));
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
        Pods.mount("istio-token", "/var/run/secrets/tokens", true),
        Pods.mount("local-certs", "/var/run/secrets/istio-dns", false),
        Pods.mount("cacerts", "/etc/cacerts", true),
        Pods.mount("istio-kubeconfig", "/var/run/secrets/remote", true),
        Pods.mount("istio-csr-dns-cert", "/var/run/secrets/istiod/tls", true),
        Pods.mount("istio-csr-ca-configmap", "/var/run/secrets/istiod/ca", true));
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
        Pods.secret("cacerts", "cacerts"),
        Pods.secret("istio-kubeconfig", "istio-kubeconfig"),
        Pods.secret("istio-csr-dns-cert", "istiod-tls"),
        Pods.configMap("istio-csr-ca-configmap", "istio-ca-root-cert", true));
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

  /** The control plane's image: Isthmus's, never under Istio's hub (see {@link #HUB}). */
  static String image(Vals v) {
    return K8s.image(
        nonEmpty(v.str("pilot.hub", ""), HUB),
        nonEmpty(v.str("pilot.image", ""), IMAGE),
        nonEmpty(v.str("pilot.tag", ""), TAG),
        null);
  }

  private static String nonEmpty(String s, String def) {
    return s == null || s.isEmpty() ? def : s;
  }
}
