package dev.isthmus.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.ComponentSpec;
import dev.isthmus.api.v1alpha1.GatewayComponentSpec;
import dev.isthmus.api.v1alpha1.IstioComponentSpec;
import dev.isthmus.api.v1alpha1.IstioOperatorSpec;
import dev.isthmus.api.v1alpha1.KubernetesResources;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * {@code ValuesTranslator} turns a merged IstioOperator spec into the values tree the renderers
 * read. It is a small explicit table, not a reflective mapping:
 *
 * <pre>
 * spec.hub / spec.tag                     → global.hub / global.tag
 * spec.revision                           → revision
 * components.pilot.namespace, spec.namespace → global.istioNamespace (wins over values)
 * spec.compatibilityVersion               → compatibilityVersion
 * components.{base,pilot,cni,ztunnel,istiodRemote}.enabled → {key}.enabled
 * components.{pilot,cni,ztunnel}.hub/tag  → {key}.hub / {key}.tag
 * components.pilot.k8s.replicaCount       → pilot.replicaCount
 * components.pilot.k8s.hpaSpec.min/max    → pilot.autoscaleMin / autoscaleMax
 * components.*Gateways[i]                 → gateways.{name}: name, namespace, enabled, labels,
 *                                           ports (k8s.service.ports), replicaCount, autoscale*
 * spec.meshConfig                         → meshConfig (deep-merged over values.meshConfig)
 * </pre>
 *
 * Layering: built-in defaults, then the translated table, then {@code spec.values} (the user's
 * values win), then {@code spec.unvalidatedValues}, then {@code spec.meshConfig}. Gateways start
 * from the defaults of their kind ({@code gateways.istio-ingressgateway} or {@code
 * istio-egressgateway}) and the user's values for that kind.
 */
public final class ValuesTranslator {
  private static final ObjectNode DEFAULTS = loadDefaults();

  private ValuesTranslator() {}

  /** The values tree for {@code spec}. */
  public static ObjectNode translate(IstioOperatorSpec spec) {
    ObjectNode t = Yamls.object();
    if (spec.hub != null) {
      Trees.put(t, "global.hub", t.textNode(spec.hub));
    }
    if (spec.tag != null) {
      Trees.put(t, "global.tag", t.textNode(tagText(spec.tag)));
    }
    t.put("revision", spec.revision == null ? "" : spec.revision);
    IstioComponentSpec c = spec.components == null ? new IstioComponentSpec() : spec.components;
    String ns = spec.namespace;
    if (c.pilot != null && c.pilot.namespace != null && !c.pilot.namespace.isEmpty()) {
      ns = c.pilot.namespace;
    }
    if (spec.compatibilityVersion != null) {
      t.put("compatibilityVersion", spec.compatibilityVersion);
    }
    if (c.base != null && c.base.enabled != null) {
      Trees.put(t, "base.enabled", t.booleanNode(c.base.enabled));
    }
    component(t, "pilot", c.pilot);
    component(t, "cni", c.cni);
    component(t, "ztunnel", c.ztunnel);
    component(t, "istiodRemote", c.istiodRemote);
    if (c.pilot != null) {
      workload(Trees.objectAt(t, "pilot"), c.pilot.k8s);
    }

    ObjectNode values = Trees.merge(DEFAULTS, t);
    values = Trees.merge(values, spec.values);
    values = Trees.merge(values, spec.unvalidatedValues);
    if (ns != null && !ns.isEmpty()) {
      // an explicit component or spec namespace wins over values.global.istioNamespace
      Trees.put(values, "global.istioNamespace", values.textNode(ns));
    }
    ObjectNode mesh = Trees.merge(obj(values.get("meshConfig")), spec.meshConfig);
    values.set("meshConfig", mesh);
    gateways(values, spec, c.ingressGateways, "istio-ingressgateway");
    gateways(values, spec, c.egressGateways, "istio-egressgateway");
    return values;
  }

  private static void component(ObjectNode t, String key, ComponentSpec c) {
    if (c == null) {
      return;
    }
    if (c.enabled != null) {
      Trees.put(t, key + ".enabled", t.booleanNode(c.enabled));
    }
    if (c.hub != null && !c.hub.isEmpty()) {
      Trees.put(t, key + ".hub", t.textNode(c.hub));
    }
    if (c.tag != null) {
      Trees.put(t, key + ".tag", t.textNode(tagText(c.tag)));
    }
  }

  private static void workload(ObjectNode target, KubernetesResources k8s) {
    if (k8s == null) {
      return;
    }
    if (k8s.replicaCount != null) {
      target.put("replicaCount", k8s.replicaCount);
    }
    if (k8s.hpaSpec != null) {
      if (k8s.hpaSpec.getMinReplicas() != null) {
        target.put("autoscaleMin", k8s.hpaSpec.getMinReplicas());
      }
      if (k8s.hpaSpec.getMaxReplicas() != null) {
        target.put("autoscaleMax", k8s.hpaSpec.getMaxReplicas());
      }
    }
  }

  private static void gateways(
      ObjectNode values, IstioOperatorSpec spec, List<GatewayComponentSpec> gws, String kindKey) {
    if (gws == null) {
      return;
    }
    ObjectNode all = Trees.objectAt(values, "gateways");
    ObjectNode user = spec.values == null ? null : obj(Trees.at(spec.values, "gateways"));
    for (GatewayComponentSpec gw : gws) {
      if (gw == null || gw.name == null || gw.name.isEmpty()) {
        continue;
      }
      ObjectNode g = Trees.merge(obj(Trees.at(DEFAULTS, "gateways." + kindKey)), null);
      if (user != null) {
        g = Trees.merge(g, user.get(kindKey));
      }
      if (!gw.name.equals(kindKey) && user != null) {
        g = Trees.merge(g, user.get(gw.name));
      }
      g.put("name", gw.name);
      if (gw.namespace != null && !gw.namespace.isEmpty()) {
        g.put("namespace", gw.namespace);
      }
      g.put("enabled", Boolean.TRUE.equals(gw.enabled) || g.path("enabled").asBoolean(false));
      if (gw.label != null && !gw.label.isEmpty()) {
        ObjectNode labels = Trees.objectAt(g, "labels");
        gw.label.forEach(labels::put);
      }
      if (gw.hub != null && !gw.hub.isEmpty()) {
        g.put("hub", gw.hub);
      }
      if (gw.tag != null) {
        g.put("tag", tagText(gw.tag));
      }
      if (gw.k8s != null) {
        workload(g, gw.k8s);
        if (gw.k8s.service != null
            && gw.k8s.service.getPorts() != null
            && !gw.k8s.service.getPorts().isEmpty()) {
          JsonNode ports =
              io.fabric8.kubernetes.client.utils.Serialization.jsonMapper()
                  .valueToTree(gw.k8s.service.getPorts());
          g.set("ports", ports);
        }
        if (gw.k8s.serviceAnnotations != null && !gw.k8s.serviceAnnotations.isEmpty()) {
          ObjectNode ann = Trees.objectAt(g, "serviceAnnotations");
          gw.k8s.serviceAnnotations.forEach(ann::put);
        }
      }
      all.set(gw.name, g);
    }
  }

  static String tagText(IntOrString tag) {
    return tag.getStrVal() != null ? tag.getStrVal() : String.valueOf(tag.getIntVal());
  }

  private static ObjectNode obj(JsonNode n) {
    return n != null && n.isObject() ? (ObjectNode) n : Yamls.object();
  }

  private static ObjectNode loadDefaults() {
    try (InputStream in =
        ValuesTranslator.class.getResourceAsStream("/dev/isthmus/translate/values-defaults.yaml")) {
      if (in == null) {
        throw new IllegalStateException("values-defaults.yaml missing from the classpath");
      }
      return (ObjectNode) Yamls.YAML.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The built-in default values (a copy). */
  public static ObjectNode defaults() {
    return DEFAULTS.deepCopy();
  }
}
