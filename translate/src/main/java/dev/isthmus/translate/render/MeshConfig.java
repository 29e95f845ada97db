package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.translate.Trees;
import dev.isthmus.translate.Yamls;

/**
 * {@code MeshConfig} computes the effective mesh configuration: built-in defaults (discovery
 * address, root namespace, trust domain, Prometheus merge) under {@code values.meshConfig}, which
 * already holds {@code spec.meshConfig}.
 */
public final class MeshConfig {
  private MeshConfig() {}

  /** The effective mesh configuration tree. */
  public static ObjectNode effective(RenderContext ctx) {
    Vals v = ctx.values();
    ObjectNode d = Yamls.object();
    d.putObject("defaultConfig").put("discoveryAddress", ctx.discoveryAddress());
    d.putObject("defaultProviders").putArray("metrics").add("prometheus");
    d.put("enablePrometheusMerge", true);
    d.put("rootNamespace", ctx.istioNamespace());
    d.put("trustDomain", "cluster.local");
    if ("zipkin".equals(v.str("global.proxy.tracer", "none"))) {
      ((ObjectNode) d.get("defaultConfig"))
          .putObject("tracing")
          .putObject("zipkin")
          .put("address", "zipkin." + ctx.istioNamespace() + ":9411");
    }
    if (!v.str("global.meshID", "").isEmpty()) {
      d.put("meshId", v.str("global.meshID", ""));
    }
    ObjectNode merged = Trees.merge(d, v.obj("meshConfig"));
    return (ObjectNode) Yamls.sorted(merged);
  }

  /** The mesh configuration as the YAML text stored under the {@code mesh} key. */
  public static String yaml(RenderContext ctx) {
    return Yamls.toYaml(effective(ctx)).stripTrailing();
  }

  /** The {@code meshNetworks} text. */
  public static String networks(RenderContext ctx) {
    ObjectNode n = Yamls.object();
    n.set("networks", ctx.values().obj("global.meshNetworks"));
    return Yamls.toYaml(n).stripTrailing();
  }
}
