package dev.isthmus.controlplane.gateway.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code Revisions} tells which control-plane revision owns a Gateway API object, as istiod's tag
 * watcher does: the object's {@code istio.io/rev} label, else its namespace's, names a revision or
 * a tag; this revision owns it when that is its own revision or one of its tags (the revision-tag
 * webhooks {@code istio.io/tag=<tag>}, {@code istio.io/rev=<revision>}). An object that names none
 * belongs to the {@code default} tag's revision, or, without a default tag, to the default revision
 * (the one {@code istiod-default-validator} is labelled with; with no such validator, the unnamed
 * revision {@code default}). An object in a namespace that does not exist is everyone's.
 *
 * <p>Every revision converts every object for its own proxies (as istiod, so that moving an object
 * to another revision never empties a running gateway's config); only the owner writes statuses and
 * deploys.
 */
public final class Revisions implements AutoCloseable {
  static final String REV = "istio.io/rev";
  static final String TAG = "istio.io/tag";
  static final String DEFAULT_TAG_WEBHOOK = "istio-revision-tag-default";
  static final String DEFAULT_VALIDATOR = "istiod-default-validator";

  private final String revision;
  private final Function<String, Map<String, String>> namespaceLabels;

  /** The tags that point to this revision. */
  private final Supplier<Set<String>> tags;

  /** Whether the {@code default} tag exists (pointing anywhere). */
  private final BooleanSupplier defaultTagExists;

  /** The revision {@code istiod-default-validator} is labelled with; null without one. */
  private final Supplier<String> validatorRevision;

  private final Runnable close;

  private Revisions(
      String revision,
      Function<String, Map<String, String>> namespaceLabels,
      Supplier<Set<String>> tags,
      BooleanSupplier defaultTagExists,
      Supplier<String> validatorRevision,
      Runnable close) {
    this.revision = revision;
    this.namespaceLabels = namespaceLabels;
    this.tags = tags;
    this.defaultTagExists = defaultTagExists;
    this.validatorRevision = validatorRevision;
    this.close = close;
  }

  /**
   * Watches the revision-tag webhooks and the default validator.
   *
   * @param namespaceLabels a namespace's labels by name, null when it does not exist
   */
  public static Revisions watch(
      KubernetesClient client,
      String revision,
      Function<String, Map<String, String>> namespaceLabels) {
    SharedIndexInformer<MutatingWebhookConfiguration> webhooks =
        client
            .admissionRegistration()
            .v1()
            .mutatingWebhookConfigurations()
            .withLabel(TAG)
            .inform(noop(), 0);
    SharedIndexInformer<ValidatingWebhookConfiguration> validators =
        client
            .admissionRegistration()
            .v1()
            .validatingWebhookConfigurations()
            .withField("metadata.name", DEFAULT_VALIDATOR)
            .inform(noop(), 0);
    return new Revisions(
        revision,
        namespaceLabels,
        () -> {
          Set<String> out = new HashSet<>();
          for (MutatingWebhookConfiguration w : webhooks.getStore().list()) {
            Map<String, String> l = w.getMetadata().getLabels();
            if (l != null && revision.equals(l.get(REV)) && l.get(TAG) != null) {
              out.add(l.get(TAG));
            }
          }
          return out;
        },
        () ->
            webhooks.getStore().list().stream()
                .anyMatch(w -> DEFAULT_TAG_WEBHOOK.equals(w.getMetadata().getName())),
        () -> {
          ValidatingWebhookConfiguration v = validators.getStore().getByKey(DEFAULT_VALIDATOR);
          if (v == null) {
            return null;
          }
          Map<String, String> l = v.getMetadata().getLabels();
          return l == null ? "" : l.getOrDefault(REV, "");
        },
        () -> {
          webhooks.close();
          validators.close();
        });
  }

  /** A fixed view, for tests: these tags point here, and these other facts hold. */
  static Revisions of(
      String revision,
      Function<String, Map<String, String>> namespaceLabels,
      Set<String> myTags,
      boolean otherDefaultTag,
      String defaultValidatorRevision) {
    return new Revisions(
        revision,
        namespaceLabels,
        () -> myTags,
        () -> otherDefaultTag,
        () -> defaultValidatorRevision,
        () -> {});
  }

  private static <T> ResourceEventHandler<T> noop() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {}

      @Override
      public void onUpdate(T oldObj, T newObj) {}

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {}
    };
  }

  /** This revision's name and the tags that point to it. */
  Set<String> myTags() {
    Set<String> out = new HashSet<>(tags.get());
    out.add(revision);
    return out;
  }

  private boolean weAreDefaultRevision() {
    String v = validatorRevision.get();
    return v == null ? "default".equals(revision) : revision.equals(v);
  }

  /** Whether this revision owns the object (writes its status, deploys it). */
  public boolean isMine(HasMetadata o) {
    Map<String, String> labels = o.getMetadata().getLabels();
    String selected = labels == null ? null : labels.get(REV);
    if (selected == null) {
      String ns = o.getMetadata().getNamespace();
      Map<String, String> nsLabels = ns == null ? null : namespaceLabels.apply(ns);
      if (nsLabels == null) {
        return true;
      }
      selected = nsLabels.getOrDefault(REV, "");
    }
    Set<String> mine = myTags();
    if (mine.contains(selected)) {
      return true;
    }
    boolean otherDefaultTag = !mine.contains("default") && defaultTagExists.getAsBoolean();
    return selected.isEmpty()
        && (mine.contains("default") || (weAreDefaultRevision() && !otherDefaultTag));
  }

  /** A namespace's labels from an informer's store, null when it does not exist. */
  static Function<String, Map<String, String>> labelsOf(SharedIndexInformer<Namespace> namespaces) {
    return name -> {
      Namespace n = namespaces.getStore().getByKey(name);
      if (n == null) {
        return null;
      }
      return n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
    };
  }

  @Override
  public void close() {
    close.run();
  }
}
