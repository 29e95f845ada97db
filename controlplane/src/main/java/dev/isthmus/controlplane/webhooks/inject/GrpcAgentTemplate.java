package dev.isthmus.controlplane.webhooks.inject;

import static dev.isthmus.controlplane.webhooks.inject.ProxyParts.env;
import static dev.isthmus.controlplane.webhooks.inject.ProxyParts.mount;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GrpcAgentTemplate} is the Java rendering of Istio's {@code grpc-agent} template for
 * proxyless gRPC: the {@code istio-proxy} container runs pilot-agent without Envoy ({@code
 * DISABLE_ENVOY=true}) and writes the gRPC xDS bootstrap to the shared {@code istio-xds} volume;
 * app containers get {@code GRPC_XDS_BOOTSTRAP} and the mounts.
 */
final class GrpcAgentTemplate {
  static final String BOOTSTRAP = "/etc/istio/proxy/grpc-bootstrap.json";

  private GrpcAgentTemplate() {}

  static Container proxyContainer(InjectionContext ctx) {
    var v = ctx.config;
    List<String> args =
        new ArrayList<>(
            List.of(
                "proxy",
                "sidecar",
                "--domain",
                "$(POD_NAMESPACE).svc." + v.text("global.proxy.clusterDomain", "cluster.local"),
                "--proxyLogLevel="
                    + ctx.annotation(
                        "sidecar.istio.io/logLevel", v.text("global.proxy.logLevel", "warning")),
                "--proxyComponentLogLevel="
                    + ctx.annotation(
                        "sidecar.istio.io/componentLogLevel",
                        v.text("global.proxy.componentLogLevel", "misc:error")),
                "--log_output_level="
                    + ctx.annotation(
                        "sidecar.istio.io/agentLogLevel",
                        v.text("global.logging.level", "default:info"))));
    if (v.bool("global.logAsJson", false)) {
      args.add("--log_as_json");
    }
    List<EnvVar> envs = new ArrayList<>();
    envs.add(env("ISTIO_META_GENERATOR", "grpc"));
    envs.add(env("OUTPUT_CERTS", "/var/lib/istio/data"));
    envs.addAll(ProxyParts.commonEnv(ctx, false));
    envs.add(env("ISTIO_META_DNS_CAPTURE", "false"));
    envs.add(env("DISABLE_ENVOY", "true"));
    List<VolumeMount> mounts = new ArrayList<>();
    mounts.add(mount("workload-socket", "/var/run/secrets/workload-spiffe-uds"));
    mounts.add(mount("workload-certs", "/var/run/secrets/workload-spiffe-credentials"));
    if (v.text("global.pilotCertProvider", "istiod").equals("istiod")) {
      mounts.add(mount("istiod-ca-cert", "/var/run/secrets/istio"));
    }
    mounts.add(mount("istio-data", "/var/lib/istio/data"));
    mounts.add(mount("istio-xds", "/etc/istio/proxy"));
    mounts.add(mount("istio-token", "/var/run/secrets/tokens"));
    mounts.add(mount("istio-podinfo", "/etc/istio/pod"));
    ContainerBuilder b =
        new ContainerBuilder()
            .withName("istio-proxy")
            .withImage(ctx.proxyImage())
            .addNewPort()
            .withContainerPort(15020)
            .withProtocol("TCP")
            .withName("mesh-metrics")
            .endPort()
            .withArgs(args)
            .withNewLifecycle()
            .withNewPostStart()
            .withNewExec()
            .withCommand("pilot-agent", "wait", "--url=http://localhost:15020/healthz/ready")
            .endExec()
            .endPostStart()
            .endLifecycle()
            .withEnv(envs)
            .withResources(ctx.resources())
            .withVolumeMounts(mounts);
    SidecarTemplate.pullPolicy(ctx, b);
    if (!ctx.statusPort().equals("0")) {
      b.withNewReadinessProbe()
          .withNewHttpGet()
          .withPath("/healthz/ready")
          .withPort(new IntOrString(15020))
          .endHttpGet()
          .withInitialDelaySeconds(
              SidecarTemplate.intValue(
                  ctx.annotation(
                      "readiness.status.sidecar.istio.io/initialDelaySeconds",
                      v.text("global.proxy.readinessInitialDelaySeconds", "0")),
                  "readiness initialDelaySeconds"))
          .withPeriodSeconds(
              SidecarTemplate.intValue(
                  ctx.annotation(
                      "readiness.status.sidecar.istio.io/periodSeconds",
                      v.text("global.proxy.readinessPeriodSeconds", "15")),
                  "readiness periodSeconds"))
          .withTimeoutSeconds(3)
          .withFailureThreshold(
              SidecarTemplate.intValue(
                  ctx.annotation(
                      "readiness.status.sidecar.istio.io/failureThreshold",
                      v.text("global.proxy.readinessFailureThreshold", "4")),
                  "readiness failureThreshold"))
          .endReadinessProbe();
    }
    return b.build();
  }

  /**
   * Adds the bootstrap env and shared mounts to an app container (skipping names it already has).
   */
  static Container appContainer(Container c) {
    ContainerBuilder b = new ContainerBuilder(c);
    addEnv(b, c, env("GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT", "true"));
    addEnv(b, c, env("GRPC_XDS_BOOTSTRAP", BOOTSTRAP));
    addMount(b, c, mount("istio-data", "/var/lib/istio/data"));
    addMount(b, c, mount("istio-xds", "/etc/istio/proxy"));
    addMount(b, c, mount("workload-certs", "/var/run/secrets/workload-spiffe-credentials"));
    return b.build();
  }

  private static void addEnv(ContainerBuilder b, Container c, EnvVar e) {
    if (c.getEnv() == null || c.getEnv().stream().noneMatch(x -> x.getName().equals(e.getName()))) {
      b.addToEnv(e);
    }
  }

  private static void addMount(ContainerBuilder b, Container c, VolumeMount m) {
    if (c.getVolumeMounts() == null
        || c.getVolumeMounts().stream().noneMatch(x -> x.getMountPath().equals(m.getMountPath()))) {
      b.addToVolumeMounts(m);
    }
  }
}
