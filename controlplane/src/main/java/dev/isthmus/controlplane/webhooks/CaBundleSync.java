package dev.isthmus.controlplane.webhooks;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code CaBundleSync} keeps {@code clientConfig.caBundle} of the control plane's webhook
 * configurations equal to the CA root: the MutatingWebhookConfigurations and
 * ValidatingWebhookConfigurations named in the constructor or labelled {@code
 * istio.io/rev=<revision>}. It patches them on {@link #start()}, whenever the root changes, and
 * whenever one of them is created or updated with a different bundle (e.g. re-applied by the
 * installer).
 */
public final class CaBundleSync implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CaBundleSync.class);

  private final KubernetesClient client;
  private final CaRootSource root;
  private final String revision;
  private final Set<String> mutatingNames;
  private final Set<String> validatingNames;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private volatile boolean closed;

  /**
   * @param revision the {@code istio.io/rev} label value to match ({@code default} for the unnamed
   *     revision)
   * @param mutatingNames MutatingWebhookConfiguration names to keep in sync regardless of labels
   * @param validatingNames ValidatingWebhookConfiguration names to keep in sync regardless of
   *     labels
   */
  public CaBundleSync(
      KubernetesClient client,
      CaRootSource root,
      String revision,
      Set<String> mutatingNames,
      Set<String> validatingNames) {
    this.client = client;
    this.root = root;
    this.revision = revision;
    this.mutatingNames = Set.copyOf(mutatingNames);
    this.validatingNames = Set.copyOf(validatingNames);
  }

  /**
   * Patches every matching configuration now, then keeps watching the root and the configurations.
   */
  public synchronized void start() {
    syncAll();
    try {
      closeables.add(root.onChange(this::syncAll));
    } catch (RuntimeException e) {
      LOG.warn("cannot subscribe to CA root changes", e);
    }
    SharedIndexInformer<MutatingWebhookConfiguration> m =
        client
            .admissionRegistration()
            .v1()
            .mutatingWebhookConfigurations()
            .inform(handler(this::syncMutating));
    SharedIndexInformer<ValidatingWebhookConfiguration> v =
        client
            .admissionRegistration()
            .v1()
            .validatingWebhookConfigurations()
            .inform(handler(this::syncValidating));
    closeables.add(m::close);
    closeables.add(v::close);
  }

  /** Patches every matching configuration whose bundle differs from the current root. */
  public synchronized void syncAll() {
    // A root source may keep calling after close (it cannot always unsubscribe): a replica that
    // lost the Lease must not write.
    if (closed) {
      return;
    }
    for (var c :
        client.admissionRegistration().v1().mutatingWebhookConfigurations().list().getItems()) {
      syncMutating(c);
    }
    for (var c :
        client.admissionRegistration().v1().validatingWebhookConfigurations().list().getItems()) {
      syncValidating(c);
    }
  }

  private <T extends HasMetadata> ResourceEventHandler<T> handler(
      java.util.function.Consumer<T> sync) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        sync.accept(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        sync.accept(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {}
    };
  }

  private boolean ours(HasMetadata o, Set<String> names) {
    var labels = o.getMetadata().getLabels();
    return names.contains(o.getMetadata().getName())
        || (labels != null && revision.equals(labels.get("istio.io/rev")));
  }

  private String bundle() {
    return Base64.getEncoder().encodeToString(root.rootPem().getBytes(StandardCharsets.UTF_8));
  }

  private void syncMutating(MutatingWebhookConfiguration c) {
    sync(
        c,
        mutatingNames,
        m ->
            m.getWebhooks() == null
                ? List.of()
                : m.getWebhooks().stream().map(MutatingWebhook::getClientConfig).toList(),
        client
            .admissionRegistration()
            .v1()
            .mutatingWebhookConfigurations()
            .withName(c.getMetadata().getName()));
  }

  private void syncValidating(ValidatingWebhookConfiguration c) {
    sync(
        c,
        validatingNames,
        v ->
            v.getWebhooks() == null
                ? List.of()
                : v.getWebhooks().stream().map(ValidatingWebhook::getClientConfig).toList(),
        client
            .admissionRegistration()
            .v1()
            .validatingWebhookConfigurations()
            .withName(c.getMetadata().getName()));
  }

  /** Sets the root as caBundle of every webhook of {@code c} that does not carry it yet. */
  private <T extends HasMetadata> void sync(
      T c,
      Set<String> names,
      java.util.function.Function<T, List<WebhookClientConfig>> clientConfigs,
      io.fabric8.kubernetes.client.dsl.Resource<T> resource) {
    List<WebhookClientConfig> configs = clientConfigs.apply(c);
    if (closed || !ours(c, names) || configs.isEmpty()) {
      return;
    }
    String bundle = bundle();
    if (configs.stream().allMatch(w -> w == null || Objects.equals(bundle, w.getCaBundle()))) {
      return;
    }
    try {
      resource.edit(
          cur -> {
            for (WebhookClientConfig w : clientConfigs.apply(cur)) {
              if (w != null) {
                w.setCaBundle(bundle);
              }
            }
            return cur;
          });
    } catch (KubernetesClientException e) {
      LOG.warn("cannot patch caBundle of {} {}", c.getKind(), c.getMetadata().getName(), e);
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.debug("close failed", e);
      }
    }
    closeables.clear();
  }
}
