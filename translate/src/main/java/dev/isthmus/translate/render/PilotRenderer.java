package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.translate.Yamls;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code PilotRenderer} renders the control plane: the Isthmus control plane Deployment (istiod
 * compatible: same name, ports, Service and labels), its RBAC, mesh/injector/values ConfigMaps,
 * autoscaling and the admission webhook configurations. In remote mode ({@code
 * values.istiodRemote.enabled}) only what a cluster without a local control plane needs is
 * rendered: the injector ConfigMap and webhook, and the mesh ConfigMap if asked for.
 */
public final class PilotRenderer {
  private PilotRenderer() {}

  /** Renders Pilot (or IstiodRemote when {@code remote}). */
  public static List<ObjectNode> render(RenderContext ctx, boolean remote) {
    Vals v = ctx.values();
    String ns = ctx.istioNamespace();
    String name = ctx.istiodName();
    String rev = ctx.revLabel();
    boolean local =
        !remote
            && (!v.bool("istiodRemote.enabled", false)
                || v.bool("istiodRemote.enabledLocalInjectorIstiod", false));
    Map<String, String> appLabels = K8s.labels("app", "istiod", "release", "istio");
    Map<String, String> selector = K8s.labels("app", "istiod", "istio", "pilot");
    Map<String, String> workloadLabels = new LinkedHashMap<>(appLabels);
    workloadLabels.put("istio", "pilot");
    List<ObjectNode> out = new ArrayList<>();

    if (local) {
      out.add(
          K8s.node(
              new ServiceAccountBuilder().withMetadata(K8s.meta(name, ns, appLabels)).build()));
      Map<String, List<PolicyRule>> clusterRoles = new LinkedHashMap<>();
      clusterRoles.put(
          "istiod-clusterrole" + ctx.revSuffix() + "-" + ns, Rbac.istiodClusterRules());
      clusterRoles.put(
          "istiod-gateway-controller" + ctx.revSuffix() + "-" + ns, Rbac.gatewayControllerRules());
      out.addAll(Rbac.boundClusterRoles(clusterRoles, appLabels, name, ns));
      out.addAll(readerRbac(ctx));
      out.addAll(Rbac.boundRole(name, ns, appLabels, Rbac.istiodRoleRules(), name));
    }
    Map<String, String> cmLabels = K8s.labels("release", "istio");
    if (v.bool("pilot.configMap", true)) {
      out.add(
          K8s.node(
              new ConfigMapBuilder()
                  .withMetadata(K8s.meta("istio" + ctx.revSuffix(), ns, cmLabels))
                  .addToData("mesh", MeshConfig.yaml(ctx))
                  .addToData("meshNetworks", MeshConfig.networks(ctx))
                  .build()));
    }
    if (!v.bool("global.omitSidecarInjectorConfigMap", false)) {
      out.add(InjectorConfig.configMap(ctx, cmLabels));
    }
    if (local) {
      out.add(
          K8s.node(
              new ConfigMapBuilder()
                  .withMetadata(K8s.meta("values" + ctx.revSuffix(), ns, cmLabels))
                  .addToData("merged-values", Yamls.toPrettyJson(v.root()))
                  .build()));
      out.add(K8s.node(IstiodDeployment.build(ctx, workloadLabels, selector)));
      if (Workloads.autoscaled(v, "pilot.")) {
        out.add(K8s.node(Workloads.hpa(name, ns, appLabels, v, "pilot.")));
      }
      if (Workloads.pdb(v, "pilot.")) {
        out.add(K8s.node(Workloads.pdb(name, ns, workloadLabels, selector, v)));
      }
      out.add(K8s.node(service(ctx, workloadLabels, selector)));
      if (v.bool("global.networkPolicy.enabled", false)) {
        out.add(networkPolicy(ctx, workloadLabels));
      }
    }
    out.add(Webhooks.injector(ctx));
    out.addAll(RevisionTags.render(ctx));
    boolean remoteValidation = !v.str("base.validationURL", "").isEmpty();
    if ((local || remoteValidation) && v.bool("global.configValidation", true)) {
      out.add(Webhooks.validator(ctx));
    }
    return out;
  }

  private static io.fabric8.kubernetes.api.model.Service service(
      RenderContext ctx, Map<String, String> labels, Map<String, String> selector) {
    List<ServicePort> ports =
        List.of(
            port("grpc-xds", 15010, null),
            port("https-dns", 15012, null),
            port("https-webhook", 443, 15017),
            port("http-monitoring", 15014, null));
    return new ServiceBuilder()
        .withMetadata(K8s.meta(ctx.istiodName(), ctx.istioNamespace(), labels))
        .withNewSpec()
        .withType("ClusterIP")
        .withPorts(ports)
        .withSelector(selector)
        .withSessionAffinity("None")
        .endSpec()
        .build();
  }

  /** The istio-reader ClusterRole and binding (multicluster remote secrets). */
  private static List<ObjectNode> readerRbac(RenderContext ctx) {
    if (!ctx.values().bool("global.enableReaderRBAC", true)) {
      return List.of();
    }
    Map<String, String> labels = K8s.labels("app", "istio-reader", "release", "istio");
    String ns = ctx.istioNamespace();
    String name = "istio-reader-clusterrole" + ctx.revSuffix() + "-" + ns;
    return Rbac.boundClusterRoles(
        Map.of(name, Rbac.readerRules()), labels, "istio-reader-service-account", ns);
  }

  /** A TCP port; a null target is left for the server default (the port itself). */
  static ServicePort port(String name, int port, Integer target) {
    return new ServicePortBuilder()
        .withName(name)
        .withPort(port)
        .withProtocol("TCP")
        .withTargetPort(target == null ? null : new IntOrString(target))
        .build();
  }

  private static io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort netPort(int p) {
    return new io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder()
        .withPort(new IntOrString(p))
        .withProtocol("TCP")
        .build();
  }

  private static ObjectNode networkPolicy(RenderContext ctx, Map<String, String> labels) {
    return K8s.node(
        new NetworkPolicyBuilder()
            .withMetadata(K8s.meta(ctx.istiodName(), ctx.istioNamespace(), labels))
            .withNewSpec()
            .withNewPodSelector()
            .withMatchLabels(K8s.labels("app", "istiod", "istio.io/rev", ctx.revLabel()))
            .endPodSelector()
            .withPolicyTypes("Ingress", "Egress")
            .addNewIngress()
            .withPorts(netPort(15017))
            .endIngress()
            .addNewIngress()
            .withPorts(
                netPort(15010), netPort(15011), netPort(15012), netPort(8080), netPort(15014))
            .endIngress()
            .addNewEgress()
            .endEgress()
            .endSpec()
            .build());
  }
}
