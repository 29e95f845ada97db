package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GatewayRenderer} renders one ingress or egress gateway running the stock Istio proxy
 * image: ServiceAccount, SDS Role/RoleBinding, Deployment, HPA, PDB and Service. Its values are
 * {@code gateways.<name>} as produced by translation (chart defaults, spec name/label/ports, user
 * values).
 */
public final class GatewayRenderer {
  private GatewayRenderer() {}

  /** A gateway to render: its name, namespace, ingress or egress, and its own values. */
  public record Gateway(String name, String namespace, boolean ingress, Vals values) {}

  /** Renders one gateway. */
  public static List<ObjectNode> render(RenderContext ctx, Gateway gw) {
    Vals g = gw.values();
    String ns = gw.namespace();
    String kind = gw.ingress() ? "ingressgateway" : "egressgateway";
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("app", "istio-" + kind);
    labels.put("istio", kind);
    labels.putAll(g.strMap("labels"));
    Map<String, String> selector = new LinkedHashMap<>(labels);
    Map<String, String> objLabels = new LinkedHashMap<>(labels);
    objLabels.put("release", "istio");
    String sa = gw.name() + "-service-account";
    List<ObjectNode> out = new ArrayList<>();
    out.add(
        K8s.node(new ServiceAccountBuilder().withMetadata(K8s.meta(sa, ns, objLabels)).build()));
    String sds = gw.name() + "-sds";
    out.addAll(Rbac.boundRole(sds, ns, K8s.labels("release", "istio"), Rbac.gatewaySdsRules(), sa));
    List<ServicePort> servicePorts = servicePorts(g.node("ports"));
    List<ContainerPort> containerPorts = new ArrayList<>();
    for (ServicePort p : servicePorts) {
      if (p.getTargetPort().getIntVal() == null) {
        continue;
      }
      containerPorts.add(
          new ContainerPortBuilder()
              .withContainerPort(p.getTargetPort().getIntVal())
              .withProtocol(p.getProtocol())
              .build());
    }
    containerPorts.add(
        new ContainerPortBuilder()
            .withName("http-envoy-prom")
            .withContainerPort(15090)
            .withProtocol("TCP")
            .build());
    out.add(K8s.node(GatewayDeployment.build(ctx, gw, objLabels, selector, sa, containerPorts)));
    if (Workloads.autoscaled(g, "")) {
      out.add(K8s.node(Workloads.hpa(gw.name(), ns, objLabels, g, "")));
    }
    if (Workloads.pdb(mergedForPdb(ctx, g), "")) {
      out.add(K8s.node(Workloads.pdb(gw.name(), ns, objLabels, selector, ctx.values())));
    }
    var svc =
        new ServiceBuilder()
            .withMetadata(K8s.meta(gw.name(), ns, objLabels))
            .editMetadata()
            .withAnnotations(
                g.strMap("serviceAnnotations").isEmpty() ? null : g.strMap("serviceAnnotations"))
            .endMetadata()
            .withNewSpec()
            .withType(g.str("type", gw.ingress() ? "LoadBalancer" : "ClusterIP"))
            .withSelector(selector)
            .withPorts(servicePorts)
            .withSessionAffinity("None")
            .endSpec();
    String lbIp = g.str("loadBalancerIP", "");
    if (!lbIp.isEmpty()) {
      svc.editSpec().withLoadBalancerIP(lbIp).endSpec();
    }
    String etp = g.str("externalTrafficPolicy", "");
    if (!etp.isEmpty()) {
      svc.editSpec().withExternalTrafficPolicy(etp).endSpec();
    }
    out.add(K8s.node(svc.build()));
    return out;
  }

  private static Vals mergedForPdb(RenderContext ctx, Vals g) {
    ObjectNode n = g.root().deepCopy();
    n.set("global", ctx.values().obj("global"));
    return new Vals(n);
  }

  private static List<ServicePort> servicePorts(JsonNode ports) {
    List<ServicePort> out = new ArrayList<>();
    if (ports == null || !ports.isArray()) {
      return out;
    }
    for (JsonNode p : ports) {
      int port = p.path("port").asInt();
      JsonNode t = p.get("targetPort");
      IntOrString target =
          t == null || t.isNull()
              ? new IntOrString(port)
              : t.isNumber() ? new IntOrString(t.intValue()) : new IntOrString(t.asText());
      if (target.getStrVal() != null && target.getStrVal().matches("[0-9]+")) {
        target = new IntOrString(Integer.parseInt(target.getStrVal()));
      }
      var b =
          new ServicePortBuilder()
              .withName(p.hasNonNull("name") ? p.get("name").asText() : null)
              .withPort(port)
              .withProtocol(p.hasNonNull("protocol") ? p.get("protocol").asText() : "TCP")
              .withTargetPort(target);
      if (p.hasNonNull("nodePort")) {
        b.withNodePort(p.get("nodePort").asInt());
      }
      out.add(b.build());
    }
    return out;
  }
}
