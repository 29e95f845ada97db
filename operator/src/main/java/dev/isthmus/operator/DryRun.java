package dev.isthmus.operator;

import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.translate.ComponentManifest;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code DryRun} sends every rendered object through a server-side apply dry run (same field
 * manager, conflicts forced) before a reconcile writes anything, so that an object the API server
 * refuses — schema, admission, quota — stops the whole apply while the previous installation is
 * still untouched, rather than half-way through the component order.
 *
 * <p>Two kinds of object cannot be checked before the first write, because what they depend on is
 * itself part of the same apply: objects in a namespace that does not exist yet (the Namespace
 * itself is dry-run instead), and custom resources whose CRD is in the same render and is not
 * served yet (the CRD itself is dry-run instead). A refusal of those surfaces as an ordinary apply
 * failure.
 */
final class DryRun {
  private static final Logger LOG = LoggerFactory.getLogger(DryRun.class);

  private final KubernetesClient client;
  private final CrdPolicy crdPolicy;
  private final LiveCache cache;
  private final Map<String, Optional<APIResourceList>> discovery = new HashMap<>();

  DryRun(KubernetesClient client, CrdPolicy crdPolicy, LiveCache cache) {
    this.client = client;
    this.crdPolicy = crdPolicy;
    this.cache = cache;
  }

  /**
   * Dry-runs the objects of every component; throws {@link Refused} naming the first object the API
   * server refuses.
   */
  void check(IstioOperator owner, List<ComponentManifest> components) {
    Set<String> existing = new HashSet<>();
    Set<String> missing = new TreeSet<>();
    Set<String> renderedCrdKinds = new HashSet<>();
    List<GenericKubernetesResource> objects = new ArrayList<>();
    for (ComponentManifest component : components) {
      objects.addAll(Objects.toResources(client, component.objects()));
    }
    for (GenericKubernetesResource o : objects) {
      String ns = o.getMetadata().getNamespace();
      if (ns != null && !existing.contains(ns) && !missing.contains(ns)) {
        if (client.namespaces().withName(ns).get() == null) {
          missing.add(ns);
        } else {
          existing.add(ns);
        }
      }
      if (ManagedKinds.CRD.kind().equals(o.getKind())) {
        renderedCrdKinds.add(crdKind(o));
      }
    }
    for (String ns : missing) {
      // ManifestApplier creates these bare namespaces before the first object in them
      var namespace = new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build();
      run("Namespace " + ns, () -> client.namespaces().resource(namespace).dryRun().create());
    }
    for (GenericKubernetesResource object : objects) {
      if (skip(owner, object, missing, renderedCrdKinds)) {
        continue;
      }
      run(
          Objects.describe(object),
          () ->
              client
                  .resource(object)
                  .dryRun()
                  .fieldManager(OwnerLabels.FIELD_MANAGER)
                  .forceConflicts()
                  .serverSideApply());
    }
  }

  private boolean skip(
      IstioOperator owner,
      GenericKubernetesResource object,
      Set<String> missingNamespaces,
      Set<String> renderedCrdKinds) {
    if (crdPolicy == CrdPolicy.EXTERNAL && ManagedKinds.CRD.kind().equals(object.getKind())) {
      return true; // not applied by us: ManifestApplier only checks it is installed
    }
    String ns = object.getMetadata().getNamespace();
    if (ns != null && missingNamespaces.contains(ns)) {
      return true; // the namespace is created by this apply: the server cannot check into it yet
    }
    if (renderedCrdKinds.contains(group(object.getApiVersion()) + "/" + object.getKind())
        && !served(object.getApiVersion(), object.getKind())) {
      return true; // its CRD is installed by this apply: the server does not know the kind yet
    }
    if (cache != null) {
      Optional<GenericKubernetesResource> cached = cache.get(object);
      boolean ours = cached.flatMap(OwnerLabels::owner).map(o -> o.is(owner)).orElse(false);
      // already as desired: ManifestApplier will not write it, so there is nothing to check
      return ours && cache.upToDate(object, cached.get());
    }
    return false;
  }

  private void run(String what, Runnable request) {
    try {
      request.run();
    } catch (KubernetesClientException e) {
      String reason = reason(e);
      if (reason.contains("does not support dry run")) {
        // an admission webhook with side effects cannot be asked without acting: the real apply
        // will meet it, as it would without the dry run
        LOG.warn("cannot dry-run " + what + ": " + reason);
        return;
      }
      throw new Refused(what, reason, e);
    }
  }

  private boolean served(String apiVersion, String kind) {
    Optional<APIResourceList> list =
        discovery.computeIfAbsent(
            apiVersion,
            v -> {
              try {
                return Optional.ofNullable(client.getApiResources(v));
              } catch (KubernetesClientException e) {
                return Optional.empty();
              }
            });
    return list.map(l -> l.getResources().stream().anyMatch(r -> kind.equals(r.getKind())))
        .orElse(false);
  }

  private static String crdKind(GenericKubernetesResource crd) {
    Object spec = crd.getAdditionalProperties().get("spec");
    if (!(spec instanceof Map<?, ?> s) || !(s.get("names") instanceof Map<?, ?> names)) {
      return "";
    }
    return s.get("group") + "/" + names.get("kind");
  }

  private static String group(String apiVersion) {
    int slash = apiVersion.indexOf('/');
    return slash < 0 ? "" : apiVersion.substring(0, slash);
  }

  private static String reason(KubernetesClientException e) {
    if (e.getStatus() != null && e.getStatus().getMessage() != null) {
      return e.getStatus().getMessage();
    }
    return e.getMessage();
  }

  /** The API server refused an object in the dry run; nothing has been written. */
  static final class Refused extends IllegalStateException {
    Refused(String object, String reason, Throwable cause) {
      super("dry run refused " + object + ": " + reason + "; nothing was applied", cause);
    }
  }
}
