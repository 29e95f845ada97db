package dev.isthmus.controlplane.webhooks.inject;

import static dev.isthmus.controlplane.webhooks.inject.ProxyParts.env;
import static dev.isthmus.controlplane.webhooks.inject.ProxyParts.mount;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code SidecarTemplate} is the Java rendering of Istio's {@code sidecar} injection template
 * (non-native sidecar mode): the {@code istio-init} init container (or {@code istio-validation}
 * when {@code pilot.cni.enabled}, or none for interception mode {@code NONE}) and the {@code
 * istio-proxy} container.
 */
final class SidecarTemplate {
  private SidecarTemplate() {}

  static boolean cni(InjectionContext ctx) {
    // Stock values nest it as pilot.cni.enabled; the rendered ConfigMap may carry pilot.cni as a
    // bare boolean next to istio_cni.enabled.
    var pilotCni = ctx.config.value("pilot.cni");
    return (pilotCni.isBoolean() && pilotCni.asBoolean())
        || ctx.config.bool("pilot.cni.enabled", false)
        || ctx.config.bool("istio_cni.enabled", false);
  }

  /** The init container, or null when none is needed. */
  static Container initContainer(InjectionContext ctx) {
    String mode = ctx.interceptionMode();
    if (mode.equals("NONE")) {
      return null;
    }
    boolean cni = cni(ctx);
    var v = ctx.config;
    List<String> args =
        new ArrayList<>(
            List.of(
                "istio-iptables",
                "-p",
                ctx.proxyConfig.path("proxyListenPort").asText("15001"),
                "-z",
                ctx.proxyConfig.path("proxyInboundListenPort").asText("15006"),
                "-u",
                "1337",
                "-m",
                mode,
                "-i",
                ctx.annotation(
                    "traffic.sidecar.istio.io/includeOutboundIPRanges",
                    v.text("global.proxy.includeIPRanges", "*")),
                "-x",
                ctx.annotation(
                    "traffic.sidecar.istio.io/excludeOutboundIPRanges",
                    v.text("global.proxy.excludeIPRanges", "")),
                "-b",
                ctx.annotation(
                    "traffic.sidecar.istio.io/includeInboundPorts",
                    v.text("global.proxy.includeInboundPorts", "*")),
                "-d",
                "15090,15021," + excludeInboundPorts(ctx)));
    String includeOut =
        ctx.annotation(
            "traffic.sidecar.istio.io/includeOutboundPorts",
            v.text("global.proxy.includeOutboundPorts", ""));
    if (!includeOut.isEmpty()) {
      args.addAll(List.of("-q", includeOut));
    }
    String excludeOut =
        ctx.annotation(
            "traffic.sidecar.istio.io/excludeOutboundPorts",
            v.text("global.proxy.excludeOutboundPorts", ""));
    if (!excludeOut.isEmpty()) {
      args.addAll(List.of("-o", excludeOut));
    }
    String reroute =
        ctx.annotations.getOrDefault(
            "istio.io/reroute-virtual-interfaces",
            ctx.annotations.get("traffic.sidecar.istio.io/kubevirtInterfaces"));
    if (reroute != null) {
      args.addAll(List.of("-k", reroute));
    }
    if (ctx.annotations.containsKey("traffic.sidecar.istio.io/excludeInterfaces")) {
      args.addAll(List.of("-c", ctx.annotations.get("traffic.sidecar.istio.io/excludeInterfaces")));
    }
    args.add(
        "--log_output_level="
            + ctx.annotation(
                "sidecar.istio.io/agentLogLevel", v.text("global.logging.level", "default:info")));
    if (v.bool("global.logAsJson", false)) {
      args.add("--log_as_json");
    }
    if (cni) {
      args.add("--run-validation");
      args.add("--skip-rule-apply");
    } else if (v.bool("global.proxy_init.forceApplyIptables", false)) {
      args.add("--force-apply");
    }
    if (v.bool("global.nativeNftables", false)) {
      args.add("--native-nftables");
    }
    boolean privileged = v.bool("global.proxy.privileged", false);
    SecurityContextBuilder sc =
        new SecurityContextBuilder()
            .withAllowPrivilegeEscalation(privileged)
            .withPrivileged(privileged)
            .withNewCapabilities()
            .addAllToAdd(cni ? List.of() : List.of("NET_ADMIN", "NET_RAW"))
            .withDrop("ALL")
            .endCapabilities();
    if (cni) {
      sc.withReadOnlyRootFilesystem(true)
          .withRunAsGroup(1337L)
          .withRunAsUser(1337L)
          .withRunAsNonRoot(true);
    } else {
      sc.withReadOnlyRootFilesystem(false)
          .withRunAsGroup(0L)
          .withRunAsNonRoot(false)
          .withRunAsUser(0L);
    }
    ContainerBuilder b =
        new ContainerBuilder()
            .withName(cni ? "istio-validation" : "istio-init")
            .withImage(ctx.proxyInitImage())
            .withArgs(args)
            .withEnv(ctx.proxyMetadataEnv())
            .withResources(ctx.resources())
            .withSecurityContext(sc.build());
    pullPolicy(ctx, b);
    return b.build();
  }

  /** Istio's {@code excludeInboundPort}: the status port joined to the excluded inbound ports. */
  static String excludeInboundPorts(InjectionContext ctx) {
    String port = ctx.statusPort();
    String excluded =
        ctx.annotation(
                "traffic.sidecar.istio.io/excludeInboundPorts",
                ctx.config.text("global.proxy.excludeInboundPorts", ""))
            .trim();
    if (port.equals("0")) {
      return excluded;
    }
    return excluded.isEmpty() ? port : excluded + "," + port;
  }

  static Container proxyContainer(InjectionContext ctx, String appProbers) {
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
    String sts = v.text("global.sts.servicePort", "0");
    if (!sts.equals("0")) {
      args.add("--stsPort=" + sts);
    }
    if (v.bool("global.logAsJson", false)) {
      args.add("--log_as_json");
    }
    String outlier = v.text("global.proxy.outlierLogPath", "");
    if (!outlier.isEmpty()) {
      args.add("--outlierLogPath=" + outlier);
    }
    List<EnvVar> env = ProxyParts.commonEnv(ctx, true);
    if (appProbers != null) {
      env.add(env("ISTIO_KUBE_APP_PROBERS", appProbers));
    }
    ContainerBuilder b =
        new ContainerBuilder()
            .withName("istio-proxy")
            .withImage(ctx.proxyImage())
            .addNewPort()
            .withContainerPort(15090)
            .withProtocol("TCP")
            .withName("http-envoy-prom")
            .endPort()
            .withArgs(args)
            .withEnv(env)
            .withResources(ctx.resources())
            .withSecurityContext(proxySecurity(ctx))
            .withVolumeMounts(proxyMounts(ctx));
    if (ctx.holdApplicationUntilProxyStarts()) {
      b.withNewLifecycle()
          .withNewPostStart()
          .withNewExec()
          .withCommand("pilot-agent", "wait")
          .endExec()
          .endPostStart()
          .endLifecycle();
    }
    pullPolicy(ctx, b);
    if (!ctx.statusPort().equals("0")) {
      if (v.bool("global.proxy.startupProbe.enabled", true)) {
        b.withNewStartupProbe()
            .withNewHttpGet()
            .withPath("/healthz/ready")
            .withPort(new IntOrString(15021))
            .endHttpGet()
            .withInitialDelaySeconds(0)
            .withPeriodSeconds(1)
            .withTimeoutSeconds(3)
            .withFailureThreshold(
                intValue(
                    v.text("global.proxy.startupProbe.failureThreshold", "600"),
                    "global.proxy.startupProbe.failureThreshold"))
            .endStartupProbe();
      }
      b.withNewReadinessProbe()
          .withNewHttpGet()
          .withPath("/healthz/ready")
          .withPort(new IntOrString(15021))
          .endHttpGet()
          .withInitialDelaySeconds(
              intValue(
                  ctx.annotation(
                      "readiness.status.sidecar.istio.io/initialDelaySeconds",
                      v.text("global.proxy.readinessInitialDelaySeconds", "0")),
                  "readiness initialDelaySeconds"))
          .withPeriodSeconds(
              intValue(
                  ctx.annotation(
                      "readiness.status.sidecar.istio.io/periodSeconds",
                      v.text("global.proxy.readinessPeriodSeconds", "15")),
                  "readiness periodSeconds"))
          .withTimeoutSeconds(3)
          .withFailureThreshold(
              intValue(
                  ctx.annotation(
                      "readiness.status.sidecar.istio.io/failureThreshold",
                      v.text("global.proxy.readinessFailureThreshold", "4")),
                  "readiness failureThreshold"))
          .endReadinessProbe();
    }
    return b.build();
  }

  private static SecurityContext proxySecurity(InjectionContext ctx) {
    boolean tproxy = ctx.interceptionMode().equals("TPROXY");
    boolean netBind =
        ctx.annotation(
                "sidecar.istio.io/capNetBindService",
                ctx.config.text("global.proxy.capNetBindService", "false"))
            .equals("true");
    boolean privileged = ctx.config.bool("global.proxy.privileged", false);
    List<String> add = new ArrayList<>();
    if (tproxy) {
      add.add("NET_ADMIN");
    }
    if (netBind) {
      add.add("NET_BIND_SERVICE");
    }
    SecurityContextBuilder sc =
        new SecurityContextBuilder()
            .withAllowPrivilegeEscalation(privileged)
            .withNewCapabilities()
            .withAdd(add)
            .withDrop("ALL")
            .endCapabilities()
            .withPrivileged(privileged)
            .withReadOnlyRootFilesystem(true);
    if (tproxy || netBind) {
      sc.withRunAsNonRoot(false).withRunAsUser(0L).withRunAsGroup(1337L);
    } else {
      sc.withRunAsNonRoot(true).withRunAsUser(1337L).withRunAsGroup(1337L);
    }
    return sc.build();
  }

  private static List<VolumeMount> proxyMounts(InjectionContext ctx) {
    List<VolumeMount> m = new ArrayList<>();
    m.add(mount("workload-socket", "/var/run/secrets/workload-spiffe-uds"));
    m.add(mount("credential-socket", "/var/run/secrets/credential-uds"));
    m.add(mount("workload-certs", "/var/run/secrets/workload-spiffe-credentials"));
    if (ctx.config.text("global.pilotCertProvider", "istiod").equals("istiod")) {
      m.add(mount("istiod-ca-cert", "/var/run/secrets/istio"));
      m.add(mount("istio-ca-crl", "/var/run/secrets/istio/crl"));
    }
    m.add(mount("istio-data", "/var/lib/istio/data"));
    if (ctx.annotations.containsKey("sidecar.istio.io/bootstrapOverride")) {
      m.add(mount("custom-bootstrap-volume", "/etc/istio/custom-bootstrap"));
    }
    m.add(mount("istio-envoy", "/etc/istio/proxy"));
    m.add(mount("istio-token", "/var/run/secrets/tokens"));
    m.add(mount("istio-podinfo", "/etc/istio/pod"));
    return m;
  }

  static void pullPolicy(InjectionContext ctx, ContainerBuilder b) {
    String policy = ctx.config.text("global.imagePullPolicy", "");
    if (!policy.isEmpty()) {
      b.withImagePullPolicy(policy);
    }
  }

  static int intValue(String s, String what) {
    try {
      return Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + ": expected an integer, got \"" + s + "\"", e);
    }
  }
}
