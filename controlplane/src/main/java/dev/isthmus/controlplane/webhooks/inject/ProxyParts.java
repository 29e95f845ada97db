package dev.isthmus.controlplane.webhooks.inject;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ProxyParts} builds the env vars, volumes and mounts shared by the {@code sidecar} and
 * {@code grpc-agent} templates.
 */
final class ProxyParts {
  private ProxyParts() {}

  static EnvVar env(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }

  static EnvVar fieldEnv(String name, String fieldPath) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath(fieldPath)
        .endFieldRef()
        .endValueFrom()
        .build();
  }

  static EnvVar resourceEnv(String name, String resource) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewResourceFieldRef()
        .withResource(resource)
        .withNewDivisor("1")
        .endResourceFieldRef()
        .endValueFrom()
        .build();
  }

  /** The env common to both templates, in the stock template's order. */
  static List<EnvVar> commonEnv(InjectionContext ctx, boolean sidecar) {
    List<EnvVar> env = new ArrayList<>();
    env.add(env("PILOT_CERT_PROVIDER", ctx.config.text("global.pilotCertProvider", "istiod")));
    env.add(env("CA_ADDR", ctx.caAddress()));
    env.add(fieldEnv("POD_NAME", "metadata.name"));
    env.add(fieldEnv("POD_NAMESPACE", "metadata.namespace"));
    env.add(fieldEnv("INSTANCE_IP", "status.podIP"));
    env.add(fieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"));
    env.add(fieldEnv("HOST_IP", "status.hostIP"));
    if (sidecar) {
      env.add(resourceEnv("ISTIO_CPU_LIMIT", "limits.cpu"));
    }
    env.add(env("PROXY_CONFIG", ctx.proxyConfigJson()));
    env.add(env("ISTIO_META_POD_PORTS", ctx.podPortsJson()));
    env.add(env("ISTIO_META_APP_CONTAINERS", String.join(",", ctx.appContainers())));
    if (sidecar) {
      env.add(resourceEnv("GOMEMLIMIT", "limits.memory"));
      env.add(resourceEnv("GOMAXPROCS", "limits.cpu"));
    }
    env.add(env("ISTIO_META_CLUSTER_ID", ctx.clusterId()));
    env.add(fieldEnv("ISTIO_META_NODE_NAME", "spec.nodeName"));
    if (sidecar) {
      env.add(env("ISTIO_META_INTERCEPTION_MODE", ctx.interceptionMode()));
    }
    String network = ctx.config.text("global.network", "");
    if (!network.isEmpty()) {
      env.add(env("ISTIO_META_NETWORK", network));
    }
    String workload = ctx.labels.getOrDefault("service.istio.io/workload-name", ctx.workloadName());
    if (!workload.isEmpty()) {
      env.add(env("ISTIO_META_WORKLOAD_NAME", workload));
    }
    String kind = ctx.workloadKind();
    if (!kind.equals("Pod") && !ctx.workloadName().isEmpty()) {
      String apiVersion =
          kind.equals("Deployment")
                  || kind.equals("StatefulSet")
                  || kind.equals("DaemonSet")
                  || kind.equals("ReplicaSet")
              ? "apps/v1"
              : kind.equals("Job") || kind.equals("CronJob") ? "batch/v1" : "v1";
      env.add(
          env(
              "ISTIO_META_OWNER",
              "kubernetes://apis/"
                  + apiVersion
                  + "/namespaces/"
                  + ctx.namespace
                  + "/"
                  + kind.toLowerCase(java.util.Locale.ROOT)
                  + "s/"
                  + ctx.workloadName()));
    }
    if (ctx.annotations.containsKey("sidecar.istio.io/bootstrapOverride")) {
      env.add(env("ISTIO_BOOTSTRAP_OVERRIDE", "/etc/istio/custom-bootstrap/custom_bootstrap.json"));
    }
    env.add(env("ISTIO_META_MESH_ID", ctx.meshId()));
    env.add(env("TRUST_DOMAIN", ctx.trustDomain()));
    env.addAll(ctx.proxyMetadataEnv());
    return env;
  }

  static VolumeMount mount(String name, String path) {
    return new VolumeMountBuilder().withName(name).withMountPath(path).build();
  }

  static Volume emptyDir(String name, boolean memory) {
    return new VolumeBuilder()
        .withName(name)
        .withNewEmptyDir()
        .withMedium(memory ? "Memory" : null)
        .endEmptyDir()
        .build();
  }

  /**
   * Volumes of both templates; {@code xdsVolume} is {@code istio-envoy} (sidecar) or {@code
   * istio-xds} (grpc-agent).
   */
  static List<Volume> volumes(InjectionContext ctx, String xdsVolume, boolean sidecar) {
    List<Volume> v = new ArrayList<>();
    v.add(emptyDir("workload-socket", false));
    if (sidecar) {
      v.add(emptyDir("credential-socket", false));
    }
    v.add(emptyDir("workload-certs", false));
    String bootstrap = ctx.annotations.get("sidecar.istio.io/bootstrapOverride");
    if (bootstrap != null) {
      v.add(
          new VolumeBuilder()
              .withName("custom-bootstrap-volume")
              .withNewConfigMap()
              .withName(bootstrap)
              .endConfigMap()
              .build());
    }
    v.add(emptyDir(xdsVolume, true));
    v.add(emptyDir("istio-data", false));
    v.add(
        new VolumeBuilder()
            .withName("istio-podinfo")
            .withNewDownwardAPI()
            .addNewItem()
            .withPath("labels")
            .withNewFieldRef()
            .withFieldPath("metadata.labels")
            .endFieldRef()
            .endItem()
            .addNewItem()
            .withPath("annotations")
            .withNewFieldRef()
            .withFieldPath("metadata.annotations")
            .endFieldRef()
            .endItem()
            .endDownwardAPI()
            .build());
    v.add(
        new VolumeBuilder()
            .withName("istio-token")
            .withNewProjected()
            .addNewSource()
            .withNewServiceAccountToken()
            .withPath("istio-token")
            .withExpirationSeconds(43200L)
            .withAudience(ctx.config.text("global.sds.token.aud", "istio-ca"))
            .endServiceAccountToken()
            .endSource()
            .endProjected()
            .build());
    if (ctx.config.text("global.pilotCertProvider", "istiod").equals("istiod")) {
      v.add(
          new VolumeBuilder()
              .withName("istiod-ca-cert")
              .withNewConfigMap()
              .withName(ctx.config.text("global.trustBundleName", "istio-ca-root-cert"))
              .endConfigMap()
              .build());
    }
    if (sidecar) {
      v.add(
          new VolumeBuilder()
              .withName("istio-ca-crl")
              .withNewConfigMap()
              .withName(ctx.config.text("pilot.crlConfigMapName", "istio-ca-crl"))
              .withOptional(true)
              .endConfigMap()
              .build());
    }
    return v;
  }
}
