package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfigBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code RevisionTags} renders revision tag webhooks: one {@code istio-revision-tag-<tag>}
 * MutatingWebhookConfiguration per tag, which sends pods of namespaces (or pods) labelled {@code
 * istio.io/rev=<tag>} to the injector of the tagged revision. The tag {@code default} also takes
 * over the {@code istio-injection=enabled} and {@code sidecar.istio.io/inject=true} selectors, as
 * the default revision's injector does. The same builder serves {@code values.revisionTags} in
 * {@code manifest generate} and {@code isthmus tag set|generate}.
 */
public final class RevisionTags {
  /** The label naming the tag of a tag webhook. */
  public static final String TAG_LABEL = "istio.io/tag";

  /** The label naming the revision of a webhook. */
  public static final String REV_LABEL = "istio.io/rev";

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  private RevisionTags() {}

  /**
   * What a tag webhook is made of.
   *
   * @param tag the tag, e.g. {@code prod}
   * @param revision the revision it points at; {@code default} or empty for the default revision
   * @param istioNamespace the namespace of the revision's control plane
   * @param injectionUrl the injector URL when the revision's webhook uses one (remote control
   *     plane), else empty: the revision's istiod Service is used
   * @param caBundle the CA bundle of the revision's injector webhook, base64 PEM, or empty
   * @param reinvocationPolicy {@code Never} or {@code IfNeeded}
   * @param injectionPath the injector's path on the service, {@code /inject} when empty
   */
  public record Tag(
      String tag,
      String revision,
      String istioNamespace,
      String injectionUrl,
      String caBundle,
      String reinvocationPolicy,
      String injectionPath) {
    /** A tag whose revision's injector serves {@code /inject}. */
    public Tag(
        String tag,
        String revision,
        String istioNamespace,
        String injectionUrl,
        String caBundle,
        String reinvocationPolicy) {
      this(tag, revision, istioNamespace, injectionUrl, caBundle, reinvocationPolicy, "");
    }

    /** The {@code istio.io/rev} value of the tagged revision. */
    public String revLabel() {
      return revision == null || revision.isEmpty() ? "default" : revision;
    }
  }

  /**
   * Checks a tag name: a DNS label, like the {@code istio.io/rev} label value it becomes.
   *
   * @return null when valid, else what is wrong
   */
  public static String invalidTagName(String tag) {
    if (tag == null || tag.isEmpty()) {
      return "a revision tag must not be empty";
    }
    if (!DNS_LABEL.matcher(tag).matches()) {
      return "revision tag \""
          + tag
          + "\" is not a DNS label (lower case letters, digits and '-', at most 63)";
    }
    return null;
  }

  /** {@code istio-revision-tag-<tag>}, with {@code -<namespace>} outside istio-system. */
  public static String webhookName(String tag, String istioNamespace) {
    return "istio-revision-tag-"
        + tag
        + ("istio-system".equals(istioNamespace) ? "" : "-" + istioNamespace);
  }

  /** The webhooks of {@code values.revisionTags}, empty when the values name none. */
  public static List<ObjectNode> render(RenderContext ctx) {
    Vals v = ctx.values();
    String scope = v.str("global.resourceScope", "all");
    if (!("all".equals(scope) || "cluster".equals(scope))
        || v.bool("global.operatorManageWebhooks", false)) {
      return List.of();
    }
    JsonNode tags = v.node("revisionTags");
    if (tags == null || !tags.isArray()) {
      return List.of();
    }
    List<ObjectNode> out = new ArrayList<>();
    for (JsonNode t : tags) {
      out.add(
          webhook(
              new Tag(
                  t.asText(),
                  ctx.revision(),
                  ctx.istioNamespace(),
                  v.str("istiodRemote.injectionURL", ""),
                  v.str("istiodRemote.injectionCABundle", ""),
                  v.str("sidecarInjectorWebhook.reinvocationPolicy", "Never"))));
    }
    return out;
  }

  /** The tag's MutatingWebhookConfiguration. */
  public static ObjectNode webhook(Tag t) {
    WebhookClientConfig cc = clientConfig(t);
    LabelSelectorRequirement notDisabled =
        Webhooks.req("sidecar.istio.io/inject", "NotIn", "false");
    List<MutatingWebhook> hooks = new ArrayList<>();
    hooks.add(
        hook(
            "rev.namespace.sidecar-injector.istio.io",
            cc,
            t,
            Webhooks.sel(
                Webhooks.req(REV_LABEL, "In", t.tag()),
                Webhooks.req("istio-injection", "DoesNotExist")),
            Webhooks.sel(notDisabled)));
    hooks.add(
        hook(
            "rev.object.sidecar-injector.istio.io",
            cc,
            t,
            Webhooks.sel(
                Webhooks.req(REV_LABEL, "DoesNotExist"),
                Webhooks.req("istio-injection", "DoesNotExist")),
            Webhooks.sel(notDisabled, Webhooks.req(REV_LABEL, "In", t.tag()))));
    if ("default".equals(t.tag())) {
      hooks.add(
          hook(
              "namespace.sidecar-injector.istio.io",
              cc,
              t,
              Webhooks.sel(Webhooks.req("istio-injection", "In", "enabled")),
              Webhooks.sel(notDisabled)));
      hooks.add(
          hook(
              "object.sidecar-injector.istio.io",
              cc,
              t,
              Webhooks.sel(
                  Webhooks.req("istio-injection", "DoesNotExist"),
                  Webhooks.req(REV_LABEL, "DoesNotExist")),
              Webhooks.sel(
                  Webhooks.req("sidecar.istio.io/inject", "In", "true"),
                  Webhooks.req(REV_LABEL, "DoesNotExist"))));
    }
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(TAG_LABEL, t.tag());
    labels.put(REV_LABEL, t.revLabel());
    labels.put("app", "sidecar-injector");
    labels.put("app.kubernetes.io/name", "istiod");
    labels.put("release", "istio");
    return K8s.node(
        new MutatingWebhookConfigurationBuilder()
            .withMetadata(K8s.meta(webhookName(t.tag(), t.istioNamespace()), null, labels))
            .withWebhooks(hooks)
            .build());
  }

  /**
   * The {@code istiod-default-validator} that the {@code default} tag moves to its revision: it
   * validates Istio config without an {@code istio.io/rev} label, served at {@code /validate} of
   * the revision's istiod (or its injection URL with the path {@code /validate}).
   *
   * @param failurePolicy the policy to keep ({@code Fail} once istiod has checked its webhook), or
   *     null for {@code Ignore}, the rendered default
   */
  public static ObjectNode defaultValidator(Tag t, String failurePolicy) {
    WebhookClientConfig cc;
    String ca = t.caBundle() == null || t.caBundle().isEmpty() ? null : t.caBundle();
    if (t.injectionUrl() != null && !t.injectionUrl().isEmpty()) {
      cc =
          new WebhookClientConfigBuilder()
              .withUrl(java.net.URI.create(t.injectionUrl()).resolve("/validate").toString())
              .withCaBundle(ca)
              .build();
    } else {
      String rev = t.revision() == null || "default".equals(t.revision()) ? "" : t.revision();
      cc =
          new WebhookClientConfigBuilder()
              .withNewService()
              .withName(rev.isEmpty() ? "istiod" : "istiod-" + rev)
              .withNamespace(t.istioNamespace())
              .withPath("/validate")
              .withPort(443)
              .endService()
              .withCaBundle(ca)
              .build();
    }
    ObjectNode vwc =
        Webhooks.validator(
            "istiod-default-validator",
            "validation.istio.io",
            cc,
            Webhooks.sel(Webhooks.req(REV_LABEL, "DoesNotExist")));
    ((ObjectNode) vwc.path("metadata").path("labels")).put(REV_LABEL, t.revLabel());
    if (failurePolicy != null && !failurePolicy.isEmpty()) {
      ((ObjectNode) vwc.path("webhooks").get(0)).put("failurePolicy", failurePolicy);
    }
    return vwc;
  }

  private static MutatingWebhook hook(
      String name,
      WebhookClientConfig cc,
      Tag t,
      io.fabric8.kubernetes.api.model.LabelSelector ns,
      io.fabric8.kubernetes.api.model.LabelSelector obj) {
    MutatingWebhook h = Webhooks.inject(name, cc, ns, obj);
    h.setReinvocationPolicy(
        t.reinvocationPolicy() == null || t.reinvocationPolicy().isEmpty()
            ? "Never"
            : t.reinvocationPolicy());
    return h;
  }

  private static WebhookClientConfig clientConfig(Tag t) {
    String ca = t.caBundle() == null || t.caBundle().isEmpty() ? null : t.caBundle();
    if (t.injectionUrl() != null && !t.injectionUrl().isEmpty()) {
      return new WebhookClientConfigBuilder().withUrl(t.injectionUrl()).withCaBundle(ca).build();
    }
    String rev = t.revision() == null || "default".equals(t.revision()) ? "" : t.revision();
    return new WebhookClientConfigBuilder()
        .withNewService()
        .withName(rev.isEmpty() ? "istiod" : "istiod-" + rev)
        .withNamespace(t.istioNamespace())
        .withPath(
            t.injectionPath() == null || t.injectionPath().isEmpty()
                ? "/inject"
                : t.injectionPath())
        .withPort(443)
        .endService()
        .withCaBundle(ca)
        .build();
  }
}
