package dev.isthmus.controlplane.ca;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code RootCertDistributor} keeps ConfigMap {@code istio-ca-root-cert} (key {@code
 * root-cert.pem}) in every namespace equal to the CA's roots, like Istio's namespace controller: it
 * writes it into new namespaces, restores it when edited or deleted, and rewrites it everywhere
 * when the roots change. Kubernetes' own system namespaces are skipped, as Istio does.
 */
final class RootCertDistributor implements AutoCloseable {
  static final String CONFIG_MAP = "istio-ca-root-cert";
  static final String KEY = "root-cert.pem";
  static final Set<String> IGNORED =
      Set.of("kube-system", "kube-public", "kube-node-lease", "local-path-storage");

  /** Periodic resync: retries writes that failed, e.g. while the API server was unavailable. */
  private static final long RESYNC_MILLIS = 5 * 60 * 1000L;

  private static final String FIELD_MANAGER = "isthmus-citadel";
  private static final Logger LOG = LoggerFactory.getLogger(RootCertDistributor.class);

  private final KubernetesClient client;
  private final ExecutorService executor;
  private final AtomicReference<String> rootPem = new AtomicReference<>();
  private volatile boolean closed;
  private SharedIndexInformer<Namespace> namespaces;
  private SharedIndexInformer<ConfigMap> configMaps;

  /** Writes run on {@code executor} so that informer threads never block on the API server. */
  RootCertDistributor(KubernetesClient client, ExecutorService executor) {
    this.client = client;
    this.executor = executor;
  }

  /** Starts watching with {@code pem} as the roots to distribute. */
  void start(String pem) {
    rootPem.set(pem);
    // Fields are set before the handlers are added, so that events delivered while the initial
    // list is processed already see both caches.
    configMaps =
        client
            .configMaps()
            .inAnyNamespace()
            .withField("metadata.name", CONFIG_MAP)
            .runnableInformer(RESYNC_MILLIS);
    namespaces = client.namespaces().runnableInformer(RESYNC_MILLIS);
    configMaps.addEventHandler(
        handler(
            cm -> reconcile(cm.getMetadata().getNamespace()),
            cm -> reconcile(cm.getMetadata().getNamespace())));
    namespaces.addEventHandler(handler(ns -> reconcile(ns.getMetadata().getName()), ns -> {}));
    configMaps.run();
    namespaces.run();
  }

  /** Replaces the distributed roots and rewrites every namespace's copy. */
  void update(String pem) {
    if (!Objects.equals(rootPem.getAndSet(pem), pem) && namespaces != null) {
      for (Namespace ns : namespaces.getStore().list()) {
        reconcile(ns.getMetadata().getName());
      }
    }
  }

  private <T> ResourceEventHandler<T> handler(
      java.util.function.Consumer<T> changed, java.util.function.Consumer<T> deleted) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        changed.accept(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        changed.accept(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        deleted.accept(obj);
      }
    };
  }

  private void reconcile(String namespace) {
    if (IGNORED.contains(namespace)) {
      return;
    }
    executor.execute(() -> apply(namespace));
  }

  private void apply(String namespace) {
    if (closed) {
      return;
    }
    String pem = rootPem.get();
    try {
      Namespace ns = namespaces == null ? null : namespaces.getStore().getByKey(namespace);
      if (ns == null
          || ns.getMetadata().getDeletionTimestamp() != null
          || "Terminating".equals(ns.getStatus() == null ? null : ns.getStatus().getPhase())) {
        return;
      }
      ConfigMap cached =
          configMaps == null ? null : configMaps.getStore().getByKey(namespace + "/" + CONFIG_MAP);
      if (cached != null
          && cached.getData() != null
          && pem.equals(cached.getData().get(KEY))
          && cached.getMetadata().getDeletionTimestamp() == null) {
        return;
      }
      ConfigMap desired =
          new ConfigMapBuilder()
              .withNewMetadata()
              .withName(CONFIG_MAP)
              .withNamespace(namespace)
              .withLabels(Map.of("istio.io/config", "true"))
              .endMetadata()
              .withData(Map.of(KEY, pem))
              .build();
      client
          .configMaps()
          .inNamespace(namespace)
          .resource(desired)
          .fieldManager(FIELD_MANAGER)
          .forceConflicts()
          .serverSideApply();
      LOG.debug("wrote {}/{}", namespace, CONFIG_MAP);
    } catch (KubernetesClientException e) {
      // A namespace being deleted refuses new objects; anything else is retried by the
      // informer's next event or the periodic resync.
      if (!closed) {
        LOG.warn(
            "cannot write {}/{}: {} {}",
            namespace,
            CONFIG_MAP,
            e.getCode(),
            e.getCause() == null ? e.getMessage() : e.getCause().toString());
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    if (configMaps != null) {
      configMaps.close();
    }
    if (namespaces != null) {
      namespaces.close();
    }
  }
}
