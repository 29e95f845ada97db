package dev.isthmus.operator;

import dev.isthmus.api.Crds;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.translate.ComponentManifest;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ManifestApplier} applies one component's rendered objects with server-side apply (field
 * manager {@value OwnerLabels#FIELD_MANAGER}, conflicts forced), creating missing namespaces first
 * and waiting for applied CRDs to be Established before the next component.
 */
final class ManifestApplier {
  private static final Logger LOG = LoggerFactory.getLogger(ManifestApplier.class);

  private final KubernetesClient client;
  private final long crdEstablishTimeoutSeconds;

  private final CrdPolicy crdPolicy;
  private final LiveCache cache;

  ManifestApplier(
      KubernetesClient client,
      long crdEstablishTimeoutSeconds,
      CrdPolicy crdPolicy,
      LiveCache cache) {
    this.client = client;
    this.crdEstablishTimeoutSeconds = crdEstablishTimeoutSeconds;
    this.crdPolicy = crdPolicy;
    this.cache = cache;
  }

  /**
   * Applies the component's objects in order; returns the objects it skipped because another owner
   * holds them.
   */
  List<String> apply(IstioOperator owner, ComponentManifest component) {
    List<GenericKubernetesResource> objects = Objects.toResources(client, component.objects());
    ensureNamespaces(objects);
    List<String> skipped = new ArrayList<>();
    List<String> crds = new ArrayList<>();
    boolean shared = "Base".equals(component.component());
    for (GenericKubernetesResource object : objects) {
      if (crdPolicy == CrdPolicy.EXTERNAL && ManagedKinds.CRD.kind().equals(object.getKind())) {
        requireInstalled(object.getMetadata().getName());
        continue;
      }
      Optional<GenericKubernetesResource> cached =
          cache == null ? Optional.empty() : cache.get(object);
      boolean ours = cached.flatMap(OwnerLabels::owner).map(o -> o.is(owner)).orElse(false);
      if (ours && cache.upToDate(object, cached.get())) {
        // already as desired: a server-side apply would be a no-op request
        if (ManagedKinds.CRD.kind().equals(object.getKind())) {
          crds.add(object.getMetadata().getName());
        }
        continue;
      }
      Optional<String> otherOwner = ours ? Optional.empty() : ownedByAnother(owner, object, shared);
      if (otherOwner.isPresent()) {
        skipped.add(Objects.describe(object) + " (owned by " + otherOwner.get() + ")");
        continue;
      }
      client
          .resource(object)
          .fieldManager(OwnerLabels.FIELD_MANAGER)
          .forceConflicts()
          .serverSideApply();
      if (ManagedKinds.CRD.kind().equals(object.getKind())) {
        crds.add(object.getMetadata().getName());
      }
    }
    for (String crd : crds) {
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .withName(crd)
          .waitUntilCondition(Crds::established, crdEstablishTimeoutSeconds, TimeUnit.SECONDS);
    }
    return skipped;
  }

  /**
   * With CRDs installed by someone else, a missing or not yet Established CRD is an apply failure
   * that names it, so that the status says what is missing rather than failing later on the first
   * object of that kind.
   */
  private void requireInstalled(String crd) {
    var live = client.apiextensions().v1().customResourceDefinitions().withName(crd).get();
    if (live == null) {
      throw new IllegalStateException(
          "CustomResourceDefinition "
              + crd
              + " is not installed; with --crds=external it must be installed by OLM (from the"
              + " bundle) or by an administrator");
    }
    if (!Crds.established(live)) {
      throw new IllegalStateException(
          "CustomResourceDefinition " + crd + " is installed but not Established yet");
    }
  }

  private void ensureNamespaces(List<GenericKubernetesResource> objects) {
    TreeSet<String> namespaces = new TreeSet<>();
    for (GenericKubernetesResource o : objects) {
      if (o.getMetadata().getNamespace() != null) {
        namespaces.add(o.getMetadata().getNamespace());
      }
    }
    for (String ns : namespaces) {
      if (client.namespaces().withName(ns).get() == null) {
        LOG.info("creating namespace " + ns);
        client
            .namespaces()
            .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
            .create();
      }
    }
  }

  /**
   * Objects shared between installations (the Base component's objects and cluster-wide ones, when
   * two revisions are installed) stay with their first owner, so that two IstioOperators never take
   * turns rewriting them.
   */
  private Optional<String> ownedByAnother(
      IstioOperator owner, GenericKubernetesResource desired, boolean shared) {
    if (!shared && desired.getMetadata().getNamespace() != null) {
      return Optional.empty(); // outside Base, namespaced objects carry revision-specific names
    }
    GenericKubernetesResource live = client.resource(desired).get();
    if (live == null) {
      return Optional.empty();
    }
    return OwnerLabels.owner(live)
        .filter(o -> !o.is(owner))
        .filter(o -> exists(o))
        .map(o -> o.namespace() + "/" + o.name());
  }

  private boolean exists(OwnerLabels.Owner o) {
    return client.resources(IstioOperator.class).inNamespace(o.namespace()).withName(o.name()).get()
        != null;
  }
}
