package dev.isthmus.controlplane.gateway.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.discovery.KubeDiscovery;
import dev.isthmus.controlplane.gateway.GatewayApiConverter;
import dev.isthmus.controlplane.gateway.GatewayApiResult;
import dev.isthmus.controlplane.gateway.GatewayApiSnapshot;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GatewayApiWatch} makes the Gateway API take effect: it watches the Gateway API kinds the
 * cluster serves (nothing when their CRDs are not installed), with Services and Namespaces, and
 * after each change (debounced) runs {@link GatewayApiConverter}. The Istio Gateways,
 * VirtualServices and DestinationRules it derives go to discovery like any other configuration
 * (validated, then pushed), replacing the previous derivation; the statuses it computes are written
 * with server-side apply to each object's {@code status} subresource as {@value
 * GatewayDeploymentController#CONTROLLER}, only those that differ from the live ones, and only by
 * the replica that {@link #writeStatuses holds the status Lease}.
 *
 * <p>A derived Gateway applies to the proxies of the Service it names ({@code
 * internal.istio.io/gateway-service}): its selector is that Service's selector. The Secrets and
 * ConfigMaps that Gateway API objects name ({@code certificateRefs}, {@code caCertificateRefs}) are
 * watched too, and given to the converter; a change to one of them (a certificate created after its
 * Gateway, say) converts again, a change to any other does not.
 */
public final class GatewayApiWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayApiWatch.class);
  static final String GATEWAY_SERVICE = dev.isthmus.controlplane.model.ConfigEntry.GATEWAY_SERVICE;

  private final KubernetesClient client;
  private final KubeDiscovery discovery;
  private final String domain;
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private final List<SharedIndexInformer<GenericKubernetesResource>> gatewayApi = new ArrayList<>();
  private SharedIndexInformer<Service> services;
  private SharedIndexInformer<Namespace> namespaces;
  private SharedIndexInformer<Secret> secrets;
  private SharedIndexInformer<ConfigMap> configMaps;

  /** "Kind/namespace/name" of the Secrets and ConfigMaps the last conversion's inputs name. */
  private volatile Set<String> referenced = Set.of();

  private final ScheduledExecutorService worker =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "gateway-api");
            t.setDaemon(true);
            return t;
          });
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private volatile boolean started;
  private Map<String, HasMetadata> published = Map.of();
  private volatile long conversions;
  private volatile boolean writingStatus;
  private Revisions revisions;

  private GatewayApiWatch(KubernetesClient client, KubeDiscovery discovery, String domain) {
    this.client = client;
    this.discovery = discovery;
    this.domain = domain;
  }

  /**
   * Starts watching when the Gateway API CRDs are installed; otherwise does nothing. Statuses are
   * written only for the objects {@code revision} owns ({@link Revisions}).
   */
  public static GatewayApiWatch start(
      KubernetesClient client, KubeDiscovery discovery, String domain, String revision) {
    GatewayApiWatch w = new GatewayApiWatch(client, discovery, domain);
    GatewayApiCrds crds = GatewayApiCrds.read(client);
    if (!crds.served("gateways")) {
      return w;
    }
    List<String> watched = new ArrayList<>(GatewayApiCrds.KINDS);
    watched.addAll(List.of("listenersets", "backendtlspolicies"));
    for (String plural : watched) {
      if (crds.served(plural) || GatewayApiCrds.servedV1(client, plural)) {
        w.gatewayApi.add(
            client
                .genericKubernetesResources(context(plural))
                .inAnyNamespace()
                .inform(w.handler(), 0));
      }
    }
    w.informers.addAll(w.gatewayApi);
    w.services = client.services().inAnyNamespace().inform(w.handler(), 0);
    w.namespaces = client.namespaces().inform(w.handler(), 0);
    w.informers.add(w.services);
    w.informers.add(w.namespaces);
    w.secrets = client.secrets().inAnyNamespace().inform(w.referencedHandler(), 0);
    w.configMaps = client.configMaps().inAnyNamespace().inform(w.referencedHandler(), 0);
    w.informers.add(w.secrets);
    w.informers.add(w.configMaps);
    w.revisions = Revisions.watch(client, revision, Revisions.labelsOf(w.namespaces));
    // events before every informer exists wait for this first conversion
    w.started = true;
    w.schedule();
    return w;
  }

  static ResourceDefinitionContext context(String plural) {
    String kind =
        switch (plural) {
          case "gatewayclasses" -> "GatewayClass";
          case "gateways" -> "Gateway";
          case "httproutes" -> "HTTPRoute";
          case "grpcroutes" -> "GRPCRoute";
          case "tcproutes" -> "TCPRoute";
          case "tlsroutes" -> "TLSRoute";
          case "referencegrants" -> "ReferenceGrant";
          case "listenersets" -> "ListenerSet";
          case "backendtlspolicies" -> "BackendTLSPolicy";
          default -> throw new IllegalArgumentException(plural);
        };
    return new ResourceDefinitionContext.Builder()
        .withGroup(GatewayDeploymentController.GROUP)
        .withVersion("v1")
        .withKind(kind)
        .withPlural(plural)
        .withNamespaced(!plural.equals("gatewayclasses"))
        .build();
  }

  private <T extends HasMetadata> ResourceEventHandler<T> handler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        schedule();
      }

      @Override
      public void onUpdate(T old, T obj) {
        if (!java.util.Objects.equals(
            old.getMetadata().getResourceVersion(), obj.getMetadata().getResourceVersion())) {
          schedule();
        }
      }

      @Override
      public void onDelete(T obj, boolean unknown) {
        schedule();
      }
    };
  }

  /** Converts again when a Secret or ConfigMap that some object names changes. */
  private <T extends HasMetadata> ResourceEventHandler<T> referencedHandler() {
    ResourceEventHandler<T> all = handler();
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        if (named(obj)) {
          all.onAdd(obj);
        }
      }

      @Override
      public void onUpdate(T old, T obj) {
        if (named(obj)) {
          all.onUpdate(old, obj);
        }
      }

      @Override
      public void onDelete(T obj, boolean unknown) {
        if (named(obj)) {
          all.onDelete(obj, unknown);
        }
      }
    };
  }

  private boolean named(HasMetadata o) {
    return referenced.contains(
        o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName());
  }

  /** Converts again 100 ms after the first change of a burst. */
  private void schedule() {
    if (started && scheduled.compareAndSet(false, true)) {
      worker.schedule(this::convert, 100, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Starts or stops writing statuses (the holder of the status Lease writes them; every replica
   * converts, for its own proxies). Starting converts again, so that what differs is written.
   */
  public void writeStatuses(boolean on) {
    writingStatus = on;
    if (on) {
      schedule();
    }
  }

  /** Number of conversions done (for tests). */
  public long conversions() {
    return conversions;
  }

  private void convert() {
    scheduled.set(false);
    try {
      List<HasMetadata> inputs = new ArrayList<>();
      gatewayApi.forEach(i -> inputs.addAll(i.getStore().list()));
      inputs.addAll(namespaces.getStore().list());
      inputs.addAll(services.getStore().list());
      inputs.addAll(referencedObjects(inputs));
      GatewayApiResult r =
          GatewayApiConverter.convert(GatewayApiSnapshot.fromResources(domain, inputs, registry()));
      publish(r);
      if (writingStatus) {
        writeStatuses(r);
      }
      conversions++;
    } catch (RuntimeException e) {
      LOG.error("Gateway API conversion failed; the previous configuration stays", e);
    }
  }

  /**
   * The Secrets and ConfigMaps that the Gateway API objects name in {@code certificateRefs} (kind
   * Secret by default) or {@code caCertificateRefs}, core group, from the watched stores; records
   * their keys so that a change to one of them converts again.
   */
  private List<HasMetadata> referencedObjects(List<HasMetadata> inputs) {
    Set<String> keys = new java.util.HashSet<>();
    for (HasMetadata o : inputs) {
      if (o instanceof GenericKubernetesResource) {
        collectRefs(
            Serialization.jsonMapper().valueToTree(o).path("spec"),
            o.getMetadata().getNamespace(),
            keys);
      }
    }
    referenced = Set.copyOf(keys);
    List<HasMetadata> out = new ArrayList<>();
    for (String key : keys) {
      String[] k = key.split("/", 3);
      HasMetadata found =
          k[0].equals("Secret")
              ? secrets.getStore().getByKey(k[1] + "/" + k[2])
              : configMaps.getStore().getByKey(k[1] + "/" + k[2]);
      if (found != null) {
        out.add(found);
      }
    }
    return out;
  }

  private static void collectRefs(JsonNode node, String namespace, Set<String> keys) {
    if (node.isArray()) {
      node.forEach(n -> collectRefs(n, namespace, keys));
      return;
    }
    if (!node.isObject()) {
      return;
    }
    node.fields()
        .forEachRemaining(
            e -> {
              boolean certs = e.getKey().equals("certificateRefs");
              if ((certs || e.getKey().equals("caCertificateRefs")) && e.getValue().isArray()) {
                for (JsonNode ref : e.getValue()) {
                  String kind = ref.path("kind").asText(certs ? "Secret" : "");
                  if (ref.path("group").asText("").isEmpty()
                      && (kind.equals("Secret") || kind.equals("ConfigMap"))) {
                    keys.add(
                        kind
                            + "/"
                            + ref.path("namespace").asText(namespace)
                            + "/"
                            + ref.path("name").asText());
                  }
                }
              } else {
                collectRefs(e.getValue(), namespace, keys);
              }
            });
  }

  private List<GatewayApiSnapshot.RegistryService> registry() {
    List<GatewayApiSnapshot.RegistryService> out = new ArrayList<>();
    for (Service s : services.getStore().list()) {
      var spec = s.getSpec();
      List<GatewayApiSnapshot.Port> ports = new ArrayList<>();
      if (spec.getPorts() != null) {
        for (var p : spec.getPorts()) {
          List<Integer> target =
              p.getTargetPort() != null && p.getTargetPort().getIntVal() != null
                  ? List.of(p.getTargetPort().getIntVal())
                  : List.of(p.getPort());
          ports.add(
              new GatewayApiSnapshot.Port(
                  p.getName(),
                  p.getPort(),
                  p.getAppProtocol() != null ? p.getAppProtocol() : p.getProtocol(),
                  target));
        }
      }
      List<String> external = new ArrayList<>();
      if (s.getStatus() != null
          && s.getStatus().getLoadBalancer() != null
          && s.getStatus().getLoadBalancer().getIngress() != null) {
        for (var i : s.getStatus().getLoadBalancer().getIngress()) {
          external.add(i.getIp() != null ? i.getIp() : i.getHostname());
        }
      }
      List<String> vips = new ArrayList<>();
      if (spec.getClusterIPs() != null) {
        spec.getClusterIPs().stream().filter(ip -> !"None".equals(ip)).forEach(vips::add);
      } else if (spec.getClusterIP() != null && !"None".equals(spec.getClusterIP())) {
        vips.add(spec.getClusterIP());
      }
      out.add(
          new GatewayApiSnapshot.RegistryService(
              hostname(s),
              s.getMetadata().getNamespace(),
              s.getMetadata().getLabels(),
              spec.getType(),
              ports,
              vips,
              external));
    }
    return out;
  }

  /** Replaces the previously derived configuration in discovery with this conversion's. */
  private void publish(GatewayApiResult r) {
    Map<String, HasMetadata> next = new HashMap<>();
    for (Gateway g : r.istioGateways()) {
      selectByService(g);
      next.put("Gateway/" + key(g), g);
    }
    for (VirtualService v : r.istioVirtualServices()) {
      next.put("VirtualService/" + key(v), v);
    }
    for (DestinationRule d : r.istioDestinationRules()) {
      next.put("DestinationRule/" + key(d), d);
    }
    List<HasMetadata> upserts = new ArrayList<>();
    List<HasMetadata> deletes = new ArrayList<>();
    next.forEach(
        (k, o) -> {
          HasMetadata before = published.get(k);
          if (before == null || !Serialization.asJson(before).equals(Serialization.asJson(o))) {
            upserts.add(o);
          }
        });
    published.forEach(
        (k, o) -> {
          if (!next.containsKey(k)) {
            deletes.add(o);
          }
        });
    // the index tells a new version of an object by its resourceVersion, as informers do
    long version = conversions + 1;
    upserts.forEach(o -> o.getMetadata().setResourceVersion("gateway-api-" + version));
    discovery.publish(upserts, deletes);
    published = next;
  }

  /** A derived Gateway applies to the pods of the Service it names. */
  private void selectByService(Gateway g) {
    if (g.getSpec() == null || g.getMetadata().getAnnotations() == null) {
      return;
    }
    String host = g.getMetadata().getAnnotations().get(GATEWAY_SERVICE);
    if (host == null || host.isEmpty() || host.contains(",")) {
      return;
    }
    for (Service s : services.getStore().list()) {
      String h =
          s.getMetadata().getName() + "." + s.getMetadata().getNamespace() + ".svc." + domain;
      if (h.equals(host) && s.getSpec().getSelector() != null) {
        g.getSpec().setSelector(new LinkedHashMap<>(s.getSpec().getSelector()));
        return;
      }
    }
  }

  private String hostname(Service s) {
    return s.getMetadata().getName() + "." + s.getMetadata().getNamespace() + ".svc." + domain;
  }

  private static String key(HasMetadata o) {
    return o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
  }

  /** The watched object a status is for, null when it is not in the stores. */
  private HasMetadata subject(GatewayApiResult.StatusUpdate u) {
    String key = u.namespace().isEmpty() ? u.name() : u.namespace() + "/" + u.name();
    for (SharedIndexInformer<GenericKubernetesResource> i : gatewayApi) {
      GenericKubernetesResource o = i.getStore().getByKey(key);
      if (o != null && u.kind().equals(o.getKind())) {
        return o;
      }
    }
    return null;
  }

  private void writeStatuses(GatewayApiResult r) {
    for (GatewayApiResult.StatusUpdate u : r.statuses()) {
      HasMetadata subject = subject(u);
      if (subject != null && revisions != null && !revisions.isMine(subject)) {
        continue; // another revision's: its control plane writes the status
      }
      ObjectNode o = u.applyObject();
      GenericKubernetesResource res =
          Serialization.jsonMapper().convertValue(o, GenericKubernetesResource.class);
      try {
        var op = client.genericKubernetesResources(u.apiVersion(), u.kind());
        (u.namespace().isEmpty() ? op.resource(res) : op.inNamespace(u.namespace()).resource(res))
            .subresource("status")
            .patch(
                new io.fabric8.kubernetes.client.dsl.base.PatchContext.Builder()
                    .withPatchType(
                        io.fabric8.kubernetes.client.dsl.base.PatchType.SERVER_SIDE_APPLY)
                    .withFieldManager(GatewayDeploymentController.CONTROLLER)
                    .withForce(true)
                    .build(),
                Serialization.asJson(res));
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404) {
          LOG.warn(
              "cannot write the status of {} {}/{}: {}",
              u.kind(),
              u.namespace(),
              u.name(),
              e.getMessage());
        }
      }
    }
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
    if (revisions != null) {
      revisions.close();
    }
    worker.shutdownNow();
  }
}
