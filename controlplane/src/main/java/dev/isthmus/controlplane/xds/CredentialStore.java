package dev.isthmus.controlplane.xds;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code CredentialStore} watches the Secrets that can hold TLS credentials (everything but
 * service-account tokens, registry credentials, bootstrap tokens and Helm releases) and tells the
 * xDS cache to re-derive the SDS credentials of connected proxies when one changes.
 *
 * <p>The other types are excluded by a field selector, so the API server never sends them and the
 * cache never holds them: service-account tokens and Helm releases are the bulk of a cluster's
 * Secrets (istiod's credentials controller excludes these two the same way).
 */
public final class CredentialStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CredentialStore.class);
  private static final Set<String> IGNORED_TYPES =
      Set.of(
          "kubernetes.io/service-account-token",
          "kubernetes.io/dockercfg",
          "kubernetes.io/dockerconfigjson",
          "bootstrap.kubernetes.io/token",
          "helm.sh/release.v1");

  private final SharedIndexInformer<Secret> informer;

  /**
   * Starts watching and returns once the first list is in; {@code onChange} runs (on the informer's
   * thread) after a credential Secret was added, changed or deleted.
   */
  public CredentialStore(KubernetesClient client, Runnable onChange) {
    FilterWatchListDeletable<Secret, SecretList, Resource<Secret>> secrets =
        client.secrets().inAnyNamespace();
    for (String type : IGNORED_TYPES) {
      secrets = secrets.withoutField("type", type);
    }
    this.informer =
        secrets.inform(
            new ResourceEventHandler<>() {
              @Override
              public void onAdd(Secret s) {
                changed(s);
              }

              @Override
              public void onUpdate(Secret before, Secret after) {
                if (!java.util.Objects.equals(before.getData(), after.getData())) {
                  changed(after);
                }
              }

              @Override
              public void onDelete(Secret s, boolean unknownFinalState) {
                changed(s);
              }

              private void changed(Secret s) {
                if (informerSynced()) {
                  LOG.debug(
                      "credential Secret {}/{} changed",
                      s.getMetadata().getNamespace(),
                      s.getMetadata().getName());
                  onChange.run();
                }
              }
            });
  }

  private boolean informerSynced() {
    return informer != null && informer.hasSynced();
  }

  /** The data (base64 values) of Secret {@code namespace/name}, or null. */
  public Map<String, String> data(String namespace, String name) {
    Secret s = informer.getStore().getByKey(Cache.namespaceKeyFunc(namespace, name));
    if (s == null) {
      return null;
    }
    return s.getData() == null ? Map.of() : s.getData();
  }

  /** The {@code namespace/name} keys of the Secrets held in memory. */
  List<String> cachedKeys() {
    return informer.getStore().listKeys();
  }

  @Override
  public void close() {
    informer.close();
  }
}
