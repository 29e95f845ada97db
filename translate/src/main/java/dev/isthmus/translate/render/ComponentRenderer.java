package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.ComponentSpec;
import dev.isthmus.api.v1alpha1.GatewayComponentSpec;
import dev.isthmus.api.v1alpha1.IstioComponentSpec;
import dev.isthmus.api.v1alpha1.IstioOperatorSpec;
import dev.isthmus.api.v1alpha1.KubernetesResources;
import dev.isthmus.translate.ComponentManifest;
import dev.isthmus.translate.Yamls;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code ComponentRenderer} renders every enabled component in apply order (Base, Pilot,
 * IstiodRemote, Cni, Ztunnel, ingress gateways, egress gateways), stamps the operator labels,
 * applies each component's {@code k8s} settings and overlays, writes out server defaults and sorts
 * the objects by kind.
 */
public final class ComponentRenderer {
  private ComponentRenderer() {}

  /** Renders all enabled components. */
  public static List<ComponentManifest> render(IstioOperatorSpec spec, Vals values, Owner owner) {
    RenderContext ctx = new RenderContext(spec, values);
    IstioComponentSpec c = spec.components == null ? new IstioComponentSpec() : spec.components;
    List<ComponentManifest> out = new ArrayList<>();
    String istiod = ctx.istiodName();
    if (Enablement.base(c, values)) {
      out.add(
          finish(
              ctx,
              owner,
              "Base",
              "base",
              () -> BaseRenderer.render(ctx, baseNamespace(spec)),
              c.base == null ? null : c.base.k8s,
              null,
              "spec.components.base.k8s"));
    }
    if (Enablement.component(c.pilot, values, "pilot")) {
      out.add(
          finish(
              ctx,
              owner,
              "Pilot",
              istiod,
              () -> PilotRenderer.render(ctx, false),
              k8s(c.pilot),
              new PatchStep.Target("Deployment", istiod, "discovery", istiod),
              "spec.components.pilot.k8s"));
    }
    if (c.istiodRemote != null && Boolean.TRUE.equals(c.istiodRemote.enabled)) {
      out.add(
          finish(
              ctx,
              owner,
              "IstiodRemote",
              istiod,
              () -> PilotRenderer.render(ctx, true),
              k8s(c.istiodRemote),
              null,
              "spec.components.istiodRemote.k8s"));
    }
    if (Enablement.component(c.cni, values, "cni")) {
      String ns = namespace(c.cni, ctx);
      out.add(
          finish(
              ctx,
              owner,
              "Cni",
              "istio-cni-node",
              () -> CniRenderer.render(ctx, ns),
              k8s(c.cni),
              new PatchStep.Target("DaemonSet", "istio-cni-node", "install-cni", null),
              "spec.components.cni.k8s"));
    }
    if (Enablement.component(c.ztunnel, values, "ztunnel")) {
      String ns = namespace(c.ztunnel, ctx);
      String name = values.str("ztunnel.resourceName", "ztunnel");
      out.add(
          finish(
              ctx,
              owner,
              "Ztunnel",
              name,
              () -> ZtunnelRenderer.render(ctx, ns),
              k8s(c.ztunnel),
              new PatchStep.Target("DaemonSet", name, "istio-proxy", null),
              "spec.components.ztunnel.k8s"));
    }
    gateways(ctx, owner, c.ingressGateways, true, out);
    gateways(ctx, owner, c.egressGateways, false, out);
    return out;
  }

  private static void gateways(
      RenderContext ctx,
      Owner owner,
      List<GatewayComponentSpec> gws,
      boolean ingress,
      List<ComponentManifest> out) {
    if (gws == null) {
      return;
    }
    String list = ingress ? "ingressGateways" : "egressGateways";
    for (int i = 0; i < gws.size(); i++) {
      GatewayComponentSpec gw = gws.get(i);
      if (gw == null || !Enablement.gateway(gw, ctx.values())) {
        continue;
      }
      String ns =
          gw.namespace != null && !gw.namespace.isEmpty() ? gw.namespace : ctx.istioNamespace();
      Vals gv = ctx.values().sub("gateways." + gw.name);
      GatewayRenderer.Gateway g = new GatewayRenderer.Gateway(gw.name, ns, ingress, gv);
      out.add(
          finish(
              ctx,
              owner,
              ingress ? "IngressGateways" : "EgressGateways",
              gw.name,
              () -> GatewayRenderer.render(ctx, g),
              gw.k8s,
              new PatchStep.Target("Deployment", gw.name, "istio-proxy", gw.name),
              "spec.components." + list + "[" + i + "].k8s"));
    }
  }

  private static ComponentManifest finish(
      RenderContext ctx,
      Owner owner,
      String component,
      String name,
      Supplier<List<ObjectNode>> render,
      KubernetesResources k8s,
      PatchStep.Target target,
      String fieldPath) {
    List<ObjectNode> objects = render.get();
    for (ObjectNode o : objects) {
      Labels.stamp(o, component, ctx.revLabel(), owner);
    }
    objects = PatchStep.apply(objects, k8s, target, fieldPath);
    List<ObjectNode> done = new ArrayList<>();
    String pull = ctx.values().str("global.imagePullPolicy", "");
    for (ObjectNode o : objects) {
      if ("CustomResourceDefinition".equals(o.path("kind").asText())) {
        // CRDs come sorted from BaseRenderer; only the stamped labels need ordering
        ObjectNode meta = (ObjectNode) o.get("metadata");
        o.set("metadata", Yamls.sorted(meta));
        done.add(o);
        continue;
      }
      ServerDefaults.fill(o, pull);
      done.add((ObjectNode) Yamls.sorted(o));
    }
    return new ComponentManifest(component, name, KindOrder.sort(done));
  }

  /**
   * Base goes to spec.namespace, else the user's values.global.istioNamespace, else istio-system.
   */
  private static String baseNamespace(IstioOperatorSpec spec) {
    if (spec.namespace != null && !spec.namespace.isEmpty()) {
      return spec.namespace;
    }
    var ns = spec.values == null ? null : spec.values.path("global").path("istioNamespace");
    return ns != null && ns.isTextual() && !ns.asText().isEmpty() ? ns.asText() : "istio-system";
  }

  private static KubernetesResources k8s(ComponentSpec c) {
    return c == null ? null : c.k8s;
  }

  private static String namespace(ComponentSpec c, RenderContext ctx) {
    return c != null && c.namespace != null && !c.namespace.isEmpty()
        ? c.namespace
        : ctx.istioNamespace();
  }
}
