package dev.isthmus.operator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.translate.ComponentManifest;
import dev.isthmus.translate.RenderResult;
import dev.isthmus.translate.Translator;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code Installer} is the operator's apply engine for the command line ({@code isthmus install},
 * {@code upgrade}, {@code uninstall}, {@code verify-install}, {@code diff}): the same dry run,
 * server-side apply, component order, readiness and prune the reconciler uses, for an installation
 * whose owner is an {@link InstalledState} rather than an IstioOperator in the cluster.
 *
 * <p>The owner passed to every method is an IstioOperator that exists only in memory: its name and
 * namespace are the ones the rendered objects' owner labels carry ({@code installed-state[-rev]} in
 * the installation's namespace).
 */
public final class Installer {
  /** istioctl's names for the components, as its progress lines show them. */
  private static final Map<String, String> DISPLAY =
      Map.of(
          "Base", "Istio core",
          "Pilot", "Istiod",
          "IstiodRemote", "Istiod remote",
          "Cni", "CNI",
          "Ztunnel", "Ztunnel",
          "IngressGateways", "Ingress gateways",
          "EgressGateways", "Egress gateways");

  private static final Duration POLL = Duration.ofMillis(250);
  private static final Duration CRD_ESTABLISH_TIMEOUT = Duration.ofSeconds(60);

  private final KubernetesClient client;
  private final Consumer<String> progress;

  /** An installer that reports progress, one line at a time, to {@code progress}. */
  public Installer(KubernetesClient client, Consumer<String> progress) {
    this.client = client;
    this.progress = progress;
  }

  /**
   * A failed install, upgrade or uninstall; {@link #nothingApplied()} is true when it failed before
   * the first write.
   */
  public static final class InstallException extends RuntimeException {
    private final boolean nothingApplied;

    InstallException(String message, boolean nothingApplied, Throwable cause) {
      super(message, cause);
      this.nothingApplied = nothingApplied;
    }

    public boolean nothingApplied() {
      return nothingApplied;
    }
  }

  /** The display name of a component ({@code Pilot} is {@code Istiod}). */
  public static String displayName(String component) {
    return DISPLAY.getOrDefault(component, component);
  }

  /**
   * Sends every rendered object through a server-side apply dry run; throws {@link
   * InstallException} naming the first object the API server refuses. Writes nothing.
   */
  public void check(IstioOperator owner, RenderResult rendered) {
    try {
      new DryRun(client, CrdPolicy.APPLY, null).check(owner, rendered.components());
    } catch (DryRun.Refused e) {
      throw new InstallException(e.getMessage(), true, e);
    }
  }

  /**
   * Waits until no CRD this install applies is still being deleted (a {@code uninstall --purge}
   * just before): applying to a terminating CRD changes an object that is about to go, so it would
   * never be established again.
   */
  private void awaitCrdsDeleted(RenderResult rendered) {
    List<String> names = new ArrayList<>();
    for (ComponentManifest c : rendered.components()) {
      for (ObjectNode o : c.objects()) {
        if (o.path("kind").asText().equals("CustomResourceDefinition")) {
          names.add(o.path("metadata").path("name").asText());
        }
      }
    }
    long deadline = System.nanoTime() + CRD_ESTABLISH_TIMEOUT.toNanos();
    for (String name : names) {
      var crd = client.apiextensions().v1().customResourceDefinitions().withName(name);
      var live = crd.get();
      if (live == null || live.getMetadata().getDeletionTimestamp() == null) {
        continue;
      }
      progress.accept("  waiting for CustomResourceDefinition " + name + " to finish deleting");
      long left = deadline - System.nanoTime();
      try {
        crd.waitUntilCondition(java.util.Objects::isNull, Math.max(left, 1), TimeUnit.NANOSECONDS);
      } catch (KubernetesClientException e) {
        var still = crd.get();
        String why =
            still == null
                ? reason(e)
                : "finalizers "
                    + still.getMetadata().getFinalizers()
                    + ", "
                    + (still.getStatus() == null
                        ? "no status"
                        : still.getStatus().getConditions().stream()
                            .map(c -> c.getType() + "=" + c.getStatus() + " " + c.getMessage())
                            .toList());
        throw new InstallException(
            "CustomResourceDefinition "
                + name
                + " is still being deleted after "
                + CRD_ESTABLISH_TIMEOUT.toSeconds()
                + "s: "
                + why,
            true,
            e);
      }
    }
  }

  /** What installing {@code rendered} would change, after the same dry run as {@link #check}. */
  public ChangePlan plan(IstioOperator owner, RenderResult rendered) {
    check(owner, rendered);
    return ChangePlan.compute(client, owner, rendered, namespaces(owner));
  }

  /**
   * Installs {@code rendered}: a dry run of everything first (a refusal applies nothing), then each
   * component in order, waiting up to {@code readinessTimeout} for its workloads, then a prune of
   * the objects the previous install of this owner had and this one does not. The installed state
   * is recorded once the dry run passed, so that a half-finished install can still be upgraded,
   * verified and uninstalled.
   */
  public void install(IstioOperator owner, RenderResult rendered, Duration readinessTimeout) {
    check(owner, rendered);
    awaitCrdsDeleted(rendered);
    try {
      String ns = owner.getMetadata().getNamespace();
      if (client.namespaces().withName(ns).get() == null) {
        client
            .namespaces()
            .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
            .create();
      }
      InstalledState.save(client, owner);
    } catch (KubernetesClientException e) {
      throw new InstallException("cannot record the installed state: " + reason(e), true, e);
    }
    ManifestApplier applier =
        new ManifestApplier(client, CRD_ESTABLISH_TIMEOUT.toSeconds(), CrdPolicy.APPLY, null);
    Set<String> desired = new HashSet<>();
    List<ComponentManifest> components = rendered.components();
    int i = 0;
    while (i < components.size()) {
      // the gateways of one kind are reported together, as istioctl does
      String component = components.get(i).component();
      List<ComponentManifest> group = new ArrayList<>();
      while (i < components.size() && components.get(i).component().equals(component)) {
        group.add(components.get(i++));
      }
      String name = displayName(component);
      try {
        for (ComponentManifest c : group) {
          for (String skipped : applier.apply(owner, c)) {
            progress.accept("  skipped " + skipped);
          }
          c.objects().forEach(o -> desired.add(Objects.key(o)));
        }
        awaitReady(name, group, readinessTimeout);
      } catch (KubernetesClientException | IllegalStateException e) {
        throw failed(name, reason(e), e);
      }
      progress.accept("✔ " + name + " installed");
    }
    try {
      new Pruner(client, namespaces(owner)).prune(owner, desired, false, rendered.objects());
    } catch (KubernetesClientException e) {
      throw failed("Prune", reason(e), e);
    }
    progress.accept("✔ Installation complete");
  }

  private void awaitReady(String name, List<ComponentManifest> group, Duration timeout) {
    ComponentHealth health = new ComponentHealth(client);
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean told = false;
    while (true) {
      List<String> waiting = new ArrayList<>();
      for (ComponentManifest c : group) {
        ComponentHealth.Health h = health.check(c, false);
        if (h.status() != InstallStatus.HEALTHY) {
          waiting.addAll(h.waiting());
        }
      }
      if (waiting.isEmpty()) {
        return;
      }
      if (!told) {
        progress.accept("- Processing resources for " + name + ". Waiting for " + waiting.get(0));
        told = true;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "resources not ready after "
                + timeout.toString().substring(2).toLowerCase(java.util.Locale.ROOT)
                + ": "
                + String.join("; ", waiting));
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + name, e);
      }
    }
  }

  private InstallException failed(String name, String reason, Throwable cause) {
    progress.accept("✘ " + name + " encountered an error: " + reason);
    return new InstallException(name + ": " + reason, false, cause);
  }

  /**
   * What {@link #uninstall} would delete: every object {@code owner} holds (CRDs too with {@code
   * purge}), except those another installation also renders and takes over.
   */
  public ChangePlan uninstallPlan(IstioOperator owner, boolean purge, List<IstioOperator> others) {
    Set<String> kept = new HashSet<>(sharedWith(owner, others, false));
    return new ChangePlan(
        ChangePlan.prunes(client, owner, kept, purge, rendered(owner), namespaces(owner)));
  }

  /**
   * Deletes every object {@code owner} holds and its installed state. Objects that one of {@code
   * others} also renders (the Istio core objects, and a gateway both revisions name alike) are
   * handed over to it instead, so that uninstalling one revision never takes away what another runs
   * on. With {@code purge} the CRDs go too. Returns the deleted objects.
   */
  public List<String> uninstall(IstioOperator owner, boolean purge, List<IstioOperator> others) {
    try {
      Set<String> kept = sharedWith(owner, others, true);
      Pruner.Outcome outcome =
          new Pruner(client, namespaces(owner)).prune(owner, kept, purge, rendered(owner));
      InstalledState.delete(client, owner);
      return outcome.deleted();
    } catch (KubernetesClientException e) {
      throw new InstallException("uninstall failed: " + reason(e), false, e);
    }
  }

  private Set<String> sharedWith(IstioOperator leaving, List<IstioOperator> others, boolean move) {
    Set<String> kept = new HashSet<>();
    for (IstioOperator other : others) {
      RenderResult theirs;
      try {
        theirs = Translator.render(other);
      } catch (RuntimeException e) {
        continue; // a record that no longer renders takes nothing over
      }
      for (ComponentManifest component : theirs.components()) {
        for (GenericKubernetesResource object : Objects.toResources(client, component.objects())) {
          GenericKubernetesResource live = client.resource(object).get();
          boolean ours =
              live != null && OwnerLabels.owner(live).map(o -> o.is(leaving)).orElse(false);
          if (ours && kept.add(Objects.key(object)) && move) {
            client
                .resource(object)
                .fieldManager(OwnerLabels.FIELD_MANAGER)
                .forceConflicts()
                .serverSideApply();
          }
        }
      }
    }
    return kept;
  }

  private static List<ObjectNode> rendered(IstioOperator owner) {
    try {
      return Translator.render(owner).objects();
    } catch (RuntimeException e) {
      return List.of(); // the managed kinds are still looked through
    }
  }

  /** One object's verification: {@code problem} is null when it is present and ready. */
  public record Check(String kind, String namespace, String name, String problem) {
    public boolean ok() {
      return problem == null;
    }

    /** istioctl's {@code Kind: name.namespace} form. */
    public String object() {
      return kind + ": " + name + (namespace == null ? "" : "." + namespace);
    }
  }

  /** Checks that every rendered object exists and that every Deployment finished rolling out. */
  public List<Check> verify(RenderResult rendered) {
    List<Check> out = new ArrayList<>();
    for (GenericKubernetesResource o : Objects.toResources(client, rendered.objects())) {
      String ns = o.getMetadata().getNamespace();
      String name = o.getMetadata().getName();
      String problem = null;
      try {
        if ("Deployment".equals(o.getKind())) {
          Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
          if (d == null) {
            problem = "not found";
          } else if (!Rollouts.complete(d)) {
            problem = "not ready: " + readiness(d);
          }
        } else if (client.resource(o).get() == null) {
          problem = "not found";
        }
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404) {
          throw e;
        }
        problem = "not found (the API server does not serve " + o.getApiVersion() + ")";
      }
      out.add(new Check(o.getKind(), ns, name, problem));
    }
    return out;
  }

  private static String readiness(Deployment d) {
    int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    var s = d.getStatus();
    int ready = s == null || s.getReadyReplicas() == null ? 0 : s.getReadyReplicas();
    return ready + " of " + desired + " replicas ready";
  }

  private static Set<String> namespaces(IstioOperator owner) {
    return Set.of(owner.getMetadata().getNamespace());
  }

  private static String reason(RuntimeException e) {
    if (e instanceof KubernetesClientException k
        && k.getStatus() != null
        && k.getStatus().getMessage() != null) {
      return k.getStatus().getMessage();
    }
    return e.getMessage();
  }
}
