package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.RuleWithOperations;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.RuleWithOperationsBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfigBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Webhooks} renders the admission webhook configurations: sidecar injection ({@code
 * istio-sidecar-injector[-rev]}), revision validation ({@code istio-validator[-rev]-<ns>}) and the
 * default-revision validator ({@code istiod-default-validator}). Every server default is written
 * out (matchPolicy, timeoutSeconds, scope, selectors) so server-side apply reaches a fixed point.
 */
public final class Webhooks {
  private static final List<String> VALIDATED_GROUPS =
      List.of(
          "security.istio.io", "networking.istio.io", "telemetry.istio.io", "extensions.istio.io");

  private Webhooks() {}

  /** The sidecar injector MutatingWebhookConfiguration. */
  public static ObjectNode injector(RenderContext ctx) {
    Vals v = ctx.values();
    String rev = ctx.revLabel();
    WebhookClientConfig cc =
        clientConfig(ctx, ctx.istiodName(), v.str("istiodRemote.injectionURL", ""), "/inject");
    List<MutatingWebhook> hooks = new ArrayList<>();
    LabelSelectorRequirement notDisabled = req("sidecar.istio.io/inject", "NotIn", "false");
    hooks.add(
        inject(
            "rev.namespace.sidecar-injector.istio.io",
            cc,
            sel(req("istio.io/rev", "In", rev), req("istio-injection", "DoesNotExist")),
            sel(notDisabled)));
    hooks.add(
        inject(
            "rev.object.sidecar-injector.istio.io",
            cc,
            sel(req("istio.io/rev", "DoesNotExist"), req("istio-injection", "DoesNotExist")),
            sel(notDisabled, req("istio.io/rev", "In", rev))));
    if (ctx.revision().isEmpty()) {
      hooks.add(
          inject(
              "namespace.sidecar-injector.istio.io",
              cc,
              sel(req("istio-injection", "In", "enabled")),
              sel(notDisabled)));
      hooks.add(
          inject(
              "object.sidecar-injector.istio.io",
              cc,
              sel(req("istio-injection", "DoesNotExist"), req("istio.io/rev", "DoesNotExist")),
              sel(
                  req("sidecar.istio.io/inject", "In", "true"),
                  req("istio.io/rev", "DoesNotExist"))));
    }
    return K8s.node(
        new MutatingWebhookConfigurationBuilder()
            .withMetadata(
                K8s.meta(
                    injectorName(ctx),
                    null,
                    K8s.labels("app", "sidecar-injector", "release", "istio")))
            .withWebhooks(hooks)
            .build());
  }

  /**
   * {@code istio-sidecar-injector[-rev]}, with {@code -<namespace>} appended when the control plane
   * is not in istio-system (as Istio names it).
   */
  public static String injectorName(RenderContext ctx) {
    String ns = ctx.istioNamespace();
    return "istio-sidecar-injector" + ctx.revSuffix() + ("istio-system".equals(ns) ? "" : "-" + ns);
  }

  /** The revision's ValidatingWebhookConfiguration for Istio config. */
  public static ObjectNode validator(RenderContext ctx) {
    return validator(
        "istio-validator" + ctx.revSuffix() + "-" + ctx.istioNamespace(),
        "rev.validation.istio.io",
        clientConfig(
            ctx, ctx.istiodName(), ctx.values().str("base.validationURL", ""), "/validate"),
        sel(req("istio.io/rev", "In", ctx.revLabel())));
  }

  /** The validator for objects without a revision label, served by the default revision. */
  public static ObjectNode defaultValidator(RenderContext ctx, String defaultRevision) {
    String suffix = "default".equals(defaultRevision) ? "" : "-" + defaultRevision;
    return validator(
        "istiod-default-validator",
        "validation.istio.io",
        clientConfig(
            ctx, "istiod" + suffix, ctx.values().str("base.validationURL", ""), "/validate"),
        sel(req("istio.io/rev", "DoesNotExist")));
  }

  static ObjectNode validator(
      String name, String webhook, WebhookClientConfig cc, LabelSelector objectSelector) {
    return K8s.node(
        new ValidatingWebhookConfigurationBuilder()
            .withMetadata(
                K8s.meta(
                    name, null, K8s.labels("app", "istiod", "istio", "istiod", "release", "istio")))
            .withWebhooks(
                new ValidatingWebhookBuilder()
                    .withName(webhook)
                    .withClientConfig(cc)
                    .withRules(validationRules())
                    .withFailurePolicy("Ignore")
                    .withMatchPolicy("Equivalent")
                    .withSideEffects("None")
                    .withTimeoutSeconds(10)
                    .withAdmissionReviewVersions("v1")
                    .withNamespaceSelector(new LabelSelector())
                    .withObjectSelector(objectSelector)
                    .build())
            .build());
  }

  static MutatingWebhook inject(
      String name, WebhookClientConfig cc, LabelSelector ns, LabelSelector obj) {
    return new MutatingWebhookBuilder()
        .withName(name)
        .withClientConfig(cc)
        .withRules(
            new RuleWithOperationsBuilder()
                .withApiGroups("")
                .withApiVersions("v1")
                .withOperations("CREATE")
                .withResources("pods")
                .withScope("*")
                .build())
        .withFailurePolicy("Fail")
        .withMatchPolicy("Equivalent")
        .withReinvocationPolicy("Never")
        .withSideEffects("None")
        .withTimeoutSeconds(10)
        .withAdmissionReviewVersions("v1")
        .withNamespaceSelector(ns)
        .withObjectSelector(obj)
        .build();
  }

  static RuleWithOperations validationRules() {
    return new RuleWithOperationsBuilder()
        .withApiGroups(VALIDATED_GROUPS)
        .withApiVersions("*")
        .withOperations("CREATE", "UPDATE")
        .withResources("*")
        .withScope("*")
        .build();
  }

  private static WebhookClientConfig clientConfig(
      RenderContext ctx, String service, String url, String path) {
    if (!url.isEmpty()) {
      return new WebhookClientConfigBuilder().withUrl(url).build();
    }
    return new WebhookClientConfigBuilder()
        .withNewService()
        .withName(service)
        .withNamespace(ctx.istioNamespace())
        .withPath(path)
        .withPort(443)
        .endService()
        .build();
  }

  static LabelSelector sel(LabelSelectorRequirement... reqs) {
    return new LabelSelectorBuilder().withMatchExpressions(reqs).build();
  }

  static LabelSelectorRequirement req(String key, String op, String... values) {
    return new LabelSelectorRequirement(key, op, values.length == 0 ? null : List.of(values));
  }
}
