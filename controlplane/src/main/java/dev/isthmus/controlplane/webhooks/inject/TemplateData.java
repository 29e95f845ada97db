package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.gotmpl.GoStruct;
import dev.isthmus.gotmpl.GoValues;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code TemplateData} builds what the injection templates see, Istio's {@code
 * SidecarTemplateData}: {@code TypeMeta} and {@code DeploymentMeta} of the owning workload, the
 * pod's {@code ObjectMeta} and {@code Spec}, the effective {@code ProxyConfig} (interception mode
 * {@code REDIRECT} when unset, as the proto enum's zero value), {@code MeshConfig}, {@code Values},
 * {@code Revision}, {@code ProxyImage}, {@code ProxyInitImage}, {@code ProxyUID}/{@code ProxyGID}
 * (1337), {@code NativeSidecars} (only with {@code pilot.env.ENABLE_NATIVE_SIDECARS=true} in the
 * values), {@code InboundTrafficPolicyMode} and {@code CompliancePolicy}. API objects are {@link
 * GoStruct}s so Go field names resolve; values keep their JSON keys.
 */
final class TemplateData {
  private TemplateData() {}

  static Map<String, Object> build(InjectionContext ctx, ObjectNode podJson) {
    Map<String, Object> d = new LinkedHashMap<>();
    String kind = ctx.workloadKind();
    d.put("TypeMeta", new GoStruct(Map.of("kind", kind, "apiVersion", ctx.workloadApiVersion())));
    d.put(
        "DeploymentMeta",
        new GoStruct(
            Map.of(
                "name",
                ctx.workloadName(),
                "namespace",
                ctx.workload != null ? ctx.workload.namespace() : ctx.namespace)));
    ObjectNode meta =
        podJson.path("metadata").isObject()
            ? ((ObjectNode) podJson.path("metadata")).deepCopy()
            : podJson.objectNode();
    if (!meta.hasNonNull("namespace")) {
      meta.put("namespace", ctx.namespace);
    }
    d.put("ObjectMeta", GoValues.struct(meta));
    d.put("Spec", GoValues.struct(podJson.path("spec")));
    GoStruct pc = (GoStruct) GoValues.struct(ctx.proxyConfig);
    d.put("ProxyConfig", new GoStruct(pc.fields(), Map.of("interceptionMode", "REDIRECT")));
    d.put("MeshConfig", GoValues.struct(ctx.config.mesh()));
    d.put("Values", GoValues.plain(ctx.config.values()));
    d.put("Revision", ctx.revision());
    d.put("ProxyImage", ctx.proxyImage());
    d.put("ProxyInitImage", ctx.proxyInitImage());
    d.put("ProxyUID", 1337L);
    d.put("ProxyGID", 1337L);
    d.put("NativeSidecars", ctx.nativeSidecars());
    JsonNode mode = ctx.config.mesh().path("inboundTrafficPolicy").path("mode");
    d.put(
        "InboundTrafficPolicyMode",
        mode.isTextual() ? mode.asText().toLowerCase(Locale.ROOT) : "passthrough");
    d.put("CompliancePolicy", ctx.features.compliancePolicy());
    return d;
  }
}
