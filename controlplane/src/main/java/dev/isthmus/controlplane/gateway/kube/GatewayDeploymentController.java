package dev.isthmus.controlplane.gateway.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.webhooks.inject.GatewayDeployment;
import dev.isthmus.controlplane.webhooks.inject.InjectionConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GatewayDeploymentController} deploys the Gateways of Istio's classes, as istiod's
 * deployment controller: for each Gateway of class {@code istio} (or of a GatewayClass whose
 * controller is {@value #CONTROLLER}) that names no existing Service in {@code spec.addresses}, it
 * renders {@link GatewayDeployment} and applies each object with server-side apply as {@value
 * #CONTROLLER}, owned by the Gateway. An object that exists without the {@value
 * GatewayDeployment#MANAGED} label is the user's and is left alone. The GatewayClass {@code istio}
 * is created when missing. A deleted Gateway's objects are deleted too, so that a cluster without a
 * garbage collector (or a Gateway deleted with orphaning) keeps nothing behind.
 *
 * <p>Nothing is watched when the Gateway API CRDs are not installed (Istio does not install them
 * either); a warning says so, and which kinds of the supported bundle are missing.
 */
public final class GatewayDeploymentController implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayDeploymentController.class);

  /** The controller name of Istio's GatewayClasses, and the field manager of what it applies. */
  public static final String CONTROLLER = "istio.io/gateway-controller";

  /** The Gateway API release whose CRDs Isthmus is built and tested against. */
  public static final String SUPPORTED_BUNDLE = "v1.6.0";

  static final String VERSION_ANNOTATION = "gateway.istio.io/controller-version";
  static final int CONTROLLER_VERSION = 5;
  static final String GROUP = "gateway.networking.k8s.io";
  static final ResourceDefinitionContext GATEWAYS = context("Gateway", "gateways");
  static final ResourceDefinitionContext CLASSES =
      new ResourceDefinitionContext.Builder()
          .withGroup(GROUP)
          .withVersion("v1")
          .withKind("GatewayClass")
          .withPlural("gatewayclasses")
          .withNamespaced(false)
          .build();
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final Supplier<InjectionConfig> injector;
  private final GatewayDeployment.Settings settings;
  private final String systemNamespace;
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "gateway-deployments");
            t.setDaemon(true);
            return t;
          });
  private SharedIndexInformer<GenericKubernetesResource> gateways;
  private SharedIndexInformer<GenericKubernetesResource> listenerSets;
  private Revisions revisions;

  private GatewayDeploymentController(
      KubernetesClient client,
      Supplier<InjectionConfig> injector,
      GatewayDeployment.Settings settings,
      String systemNamespace) {
    this.client = client;
    this.injector = injector;
    this.settings = settings;
    this.systemNamespace = systemNamespace;
  }

  private static ResourceDefinitionContext context(String kind, String plural) {
    return new ResourceDefinitionContext.Builder()
        .withGroup(GROUP)
        .withVersion("v1")
        .withKind(kind)
        .withPlural(plural)
        .withNamespaced(true)
        .build();
  }

  /**
   * Starts watching Gateways when their CRD is installed; otherwise warns and returns a controller
   * that does nothing.
   */
  public static GatewayDeploymentController start(
      KubernetesClient client,
      Supplier<InjectionConfig> injector,
      GatewayDeployment.Settings settings,
      String systemNamespace) {
    GatewayDeploymentController c =
        new GatewayDeploymentController(client, injector, settings, systemNamespace);
    GatewayApiCrds crds = GatewayApiCrds.read(client);
    crds.warnings().forEach(LOG::warn);
    if (!crds.served("gateways") || !crds.served("gatewayclasses")) {
      return c;
    }
    c.revisions = Revisions.watch(client, settings.revision(), c::namespaceLabels);
    c.ensureIstioClass();
    c.gateways =
        client
            .genericKubernetesResources(GATEWAYS)
            .inAnyNamespace()
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(GenericKubernetesResource gw) {
                    c.worker.execute(() -> c.reconcile(gw));
                  }

                  @Override
                  public void onUpdate(
                      GenericKubernetesResource old, GenericKubernetesResource gw) {
                    if (!Objects.equals(
                        old.getMetadata().getResourceVersion(),
                        gw.getMetadata().getResourceVersion())) {
                      c.worker.execute(() -> c.reconcile(gw));
                    }
                  }

                  @Override
                  public void onDelete(GenericKubernetesResource gw, boolean unknown) {
                    c.worker.execute(() -> c.removed(gw));
                  }
                },
                0);
    if (crds.served("listenersets") || GatewayApiCrds.servedV1(client, "listenersets")) {
      // a ListenerSet's listeners are ports of its parent Gateway's Service
      c.listenerSets =
          client
              .genericKubernetesResources(GatewayApiWatch.context("listenersets"))
              .inAnyNamespace()
              .inform(c.parentOnChange(), 0);
    }
    return c;
  }

  /** Reconciles the parent Gateway of a ListenerSet that changed. */
  private ResourceEventHandler<GenericKubernetesResource> parentOnChange() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource set) {
        parent(set);
      }

      @Override
      public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource set) {
        if (!Objects.equals(
            old.getMetadata().getResourceVersion(), set.getMetadata().getResourceVersion())) {
          parent(set);
        }
      }

      @Override
      public void onDelete(GenericKubernetesResource set, boolean unknown) {
        parent(set);
      }

      private void parent(GenericKubernetesResource set) {
        JsonNode ref = JSON.valueToTree(set).path("spec").path("parentRef");
        String ns = ref.path("namespace").asText(set.getMetadata().getNamespace());
        GenericKubernetesResource gw =
            gateways.getStore().getByKey(ns + "/" + ref.path("name").asText());
        if (gw != null) {
          worker.execute(() -> reconcile(gw));
        }
      }
    };
  }

  /**
   * The listeners of the ListenerSets attached to a Gateway whose {@code allowedListeners} admit
   * their namespace, in the sets' name order.
   */
  private List<JsonNode> listenerSetListeners(JsonNode gw) {
    List<JsonNode> out = new ArrayList<>();
    if (listenerSets == null) {
      return out;
    }
    String gwNs = gw.path("metadata").path("namespace").asText();
    String gwName = gw.path("metadata").path("name").asText();
    listenerSets.getStore().list().stream()
        .sorted(
            java.util.Comparator.comparing(
                (GenericKubernetesResource o) ->
                    o.getMetadata().getNamespace() + "/" + o.getMetadata().getName()))
        .forEach(
            o -> {
              JsonNode set = JSON.valueToTree(o);
              JsonNode ref = set.path("spec").path("parentRef");
              String ns = o.getMetadata().getNamespace();
              if (!ref.path("name").asText().equals(gwName)
                  || !ref.path("namespace").asText(ns).equals(gwNs)
                  || !dev.isthmus.controlplane.gateway.Namespaces.listenerSetAllowed(
                      this::namespaceLabels, ns, gw)) {
                return;
              }
              set.path("spec").path("listeners").forEach(out::add);
            });
    return out;
  }

  private Map<String, String> namespaceLabels(String name) {
    var ns = client.namespaces().withName(name).get();
    if (ns == null) {
      return null;
    }
    return ns.getMetadata().getLabels() == null ? Map.of() : ns.getMetadata().getLabels();
  }

  /** Istio creates its GatewayClass; a user's own {@code istio} class is not overwritten. */
  private void ensureIstioClass() {
    try {
      if (client.genericKubernetesResources(CLASSES).withName("istio").get() != null) {
        return;
      }
      GenericKubernetesResource gc = new GenericKubernetesResource();
      gc.setApiVersion(GROUP + "/v1");
      gc.setKind("GatewayClass");
      gc.setMetadata(
          new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("istio").build());
      gc.setAdditionalProperty(
          "spec",
          Map.of("controllerName", CONTROLLER, "description", "The default Istio GatewayClass"));
      client.genericKubernetesResources(CLASSES).resource(gc).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        LOG.warn("cannot create GatewayClass istio: {}", e.getMessage());
      }
    }
  }

  private boolean ours(JsonNode gw) {
    String cls = gw.path("spec").path("gatewayClassName").asText();
    if (cls.equals("istio")) {
      return true;
    }
    try {
      GenericKubernetesResource gc = client.genericKubernetesResources(CLASSES).withName(cls).get();
      return gc != null
          && CONTROLLER.equals(JSON.valueToTree(gc).path("spec").path("controllerName").asText());
    } catch (KubernetesClientException e) {
      return false;
    }
  }

  void reconcile(GenericKubernetesResource resource) {
    JsonNode gw = JSON.valueToTree(resource);
    String key =
        gw.path("metadata").path("namespace").asText()
            + "/"
            + gw.path("metadata").path("name").asText();
    GenericKubernetesResource current = gateways == null ? null : gateways.getStore().getByKey(key);
    if (gateways != null
        && (current == null
            || !Objects.equals(current.getMetadata().getUid(), resource.getMetadata().getUid()))) {
      return; // deleted since this reconcile was queued: its removal follows
    }
    try {
      if (!gw.path("metadata").path("deletionTimestamp").isMissingNode()
          || (revisions != null && !revisions.isMine(resource))
          || !ours(gw)
          || !GatewayDeployment.managed(gw)) {
        return;
      }
      String version = gw.path("metadata").path("annotations").path(VERSION_ANNOTATION).asText("");
      if (!version.isEmpty()) {
        try {
          if (Integer.parseInt(version) > CONTROLLER_VERSION) {
            LOG.debug("Gateway {} is managed by a newer controller ({})", key, version);
            return;
          }
        } catch (NumberFormatException e) {
          return;
        }
      }
      List<ObjectNode> objects =
          GatewayDeployment.render(
              injector.get(), gw, listenerSetListeners(gw), overlays(gw), settings);
      for (ObjectNode o : objects) {
        apply(o);
      }
      if (!String.valueOf(CONTROLLER_VERSION).equals(version)) {
        markVersion(gw);
      }
      LOG.info("Gateway {}: deployment applied ({} objects)", key, objects.size());
    } catch (IllegalArgumentException e) {
      // not retried: the same Gateway renders the same way until it or the template changes
      LOG.error("Gateway {}: cannot render its deployment: {}", key, e.getMessage());
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        LOG.debug("Gateway {} deleted while its deployment was applied", key);
      } else {
        LOG.error("Gateway {}: cannot apply its deployment: {}", key, e.getMessage());
      }
    }
  }

  /**
   * The class defaults ConfigMap (label {@code gateway.istio.io/defaults-for-class}), then the
   * parameters.
   */
  private List<Map<String, String>> overlays(JsonNode gw) {
    List<Map<String, String>> out = new ArrayList<>();
    String cls = gw.path("spec").path("gatewayClassName").asText();
    client
        .configMaps()
        .inNamespace(systemNamespace)
        .withLabel("gateway.istio.io/defaults-for-class", cls)
        .list()
        .getItems()
        .stream()
        .min(
            java.util.Comparator.comparing(
                (ConfigMap cm) -> Objects.toString(cm.getMetadata().getCreationTimestamp(), "")))
        .ifPresent(cm -> out.add(cm.getData() == null ? Map.of() : cm.getData()));
    JsonNode ref = gw.path("spec").path("infrastructure").path("parametersRef");
    if (!ref.isMissingNode()) {
      if (!ref.path("kind").asText().equals("ConfigMap")
          || !ref.path("group").asText("").isEmpty()) {
        throw new IllegalArgumentException(
            "spec.infrastructure.parametersRef: unknown parameters type "
                + ref.path("group").asText("")
                + "/"
                + ref.path("kind").asText());
      }
      String ns = gw.path("metadata").path("namespace").asText();
      ConfigMap cm = client.configMaps().inNamespace(ns).withName(ref.path("name").asText()).get();
      if (cm == null) {
        throw new IllegalArgumentException(
            "spec.infrastructure.parametersRef: ConfigMap "
                + ns
                + "/"
                + ref.path("name").asText()
                + " does not exist");
      }
      out.add(cm.getData() == null ? Map.of() : cm.getData());
    }
    return out;
  }

  private void apply(ObjectNode o) {
    GenericKubernetesResource desired = JSON.convertValue(o, GenericKubernetesResource.class);
    var op =
        client
            .genericKubernetesResources(desired.getApiVersion(), desired.getKind())
            .inNamespace(desired.getMetadata().getNamespace())
            .withName(desired.getMetadata().getName());
    GenericKubernetesResource existing = op.get();
    if (existing != null
        && (existing.getMetadata().getLabels() == null
            || !existing.getMetadata().getLabels().containsKey(GatewayDeployment.MANAGED))) {
      LOG.warn(
          "{} {}/{} exists and is not managed by the gateway controller: left as it is",
          desired.getKind(),
          desired.getMetadata().getNamespace(),
          desired.getMetadata().getName());
      return;
    }
    client
        .genericKubernetesResources(desired.getApiVersion(), desired.getKind())
        .inNamespace(desired.getMetadata().getNamespace())
        .resource(desired)
        .fieldManager(CONTROLLER)
        .forceConflicts()
        .serverSideApply();
  }

  private void markVersion(JsonNode gw) {
    String patch =
        "{\"metadata\":{\"annotations\":{\""
            + VERSION_ANNOTATION
            + "\":\""
            + CONTROLLER_VERSION
            + "\"}}}";
    client
        .genericKubernetesResources(GATEWAYS)
        .inNamespace(gw.path("metadata").path("namespace").asText())
        .withName(gw.path("metadata").path("name").asText())
        .patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            patch);
  }

  /** Deletes what the controller applied for a deleted Gateway (owned by its uid). */
  void removed(GenericKubernetesResource gw) {
    String ns = gw.getMetadata().getNamespace();
    String uid = gw.getMetadata().getUid();
    for (String[] kind :
        List.of(
            new String[] {"apps/v1", "Deployment"},
            new String[] {"v1", "Service"},
            new String[] {"v1", "ServiceAccount"},
            new String[] {"autoscaling/v2", "HorizontalPodAutoscaler"},
            new String[] {"policy/v1", "PodDisruptionBudget"})) {
      try {
        for (GenericKubernetesResource o :
            client
                .genericKubernetesResources(kind[0], kind[1])
                .inNamespace(ns)
                .withLabel("gateway.networking.k8s.io/gateway-name", gw.getMetadata().getName())
                .withLabel(GatewayDeployment.MANAGED)
                .list()
                .getItems()) {
          boolean owned =
              o.getMetadata().getOwnerReferences() != null
                  && o.getMetadata().getOwnerReferences().stream()
                      .anyMatch(r -> Objects.equals(r.getUid(), uid));
          if (owned) {
            client
                .genericKubernetesResources(kind[0], kind[1])
                .inNamespace(ns)
                .resource(o)
                .delete();
          }
        }
      } catch (KubernetesClientException e) {
        LOG.warn(
            "cannot delete the {}s of Gateway {}/{}: {}",
            kind[1],
            ns,
            gw.getMetadata().getName(),
            e.getMessage());
      }
    }
  }

  @Override
  public void close() {
    if (gateways != null) {
      gateways.close();
    }
    if (listenerSets != null) {
      listenerSets.close();
    }
    if (revisions != null) {
      revisions.close();
    }
    worker.shutdownNow();
  }
}
