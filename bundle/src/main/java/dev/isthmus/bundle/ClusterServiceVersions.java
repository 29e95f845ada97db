package dev.isthmus.bundle;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.Crds;
import dev.isthmus.operator.CrdPolicy;
import dev.isthmus.operator.OperatorManifests;
import dev.isthmus.operator.OperatorRbac;
import dev.isthmus.translate.Profiles;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;

/**
 * {@code ClusterServiceVersions} builds the operator's ClusterServiceVersion from the objects the
 * operator module generates: the Deployment of {@link OperatorManifests#deployment}, the cluster
 * permissions of {@link OperatorRbac#rules(CrdPolicy)} (CRDs external), the namespaced permissions
 * of {@link OperatorRbac#namespacedRules()}, the owned CRDs of {@link Crds#all()} and the images
 * the default profile renders.
 */
public final class ClusterServiceVersions {
  /** CSV annotation listing CRD names that the console hides: the Istio configuration APIs. */
  public static final String INTERNAL_OBJECTS = "operators.operatorframework.io/internal-objects";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  // the operator builds maps with Map.of, whose iteration order changes from one JVM to the next
  private static final ObjectMapper SORTED =
      Serialization.jsonMapper().copy().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private ClusterServiceVersions() {}

  /** The CSV for {@code info}. */
  public static ObjectNode csv(BundleInfo info) {
    ObjectNode csv = NODES.objectNode();
    csv.put("apiVersion", "operators.coreos.com/v1alpha1");
    csv.put("kind", "ClusterServiceVersion");
    ObjectNode metadata = csv.putObject("metadata");
    metadata.put("name", info.csvName());
    ObjectNode annotations = metadata.putObject("annotations");
    annotations.put("alm-examples", BundleResources.almExamplesJson());
    // Basic Install: upgrading the operator itself across releases (OLM replacing one CSV with the
    // next while the
    // control plane keeps running) has not been tested yet, so "Seamless Upgrades" is not claimed.
    annotations.put("capabilities", "Basic Install");
    annotations.put("categories", "Networking, Security");
    annotations.put("containerImage", info.operatorImage());
    annotations.put("description", "Installs and upgrades Istio from IstioOperator resources");
    annotations.put(INTERNAL_OBJECTS, internalObjects());
    annotations.put("olm.skipRange", info.skipRange());
    metadata
        .putObject("labels")
        .put("operatorframework.io/arch.amd64", "supported")
        .put("operatorframework.io/os.linux", "supported");

    ObjectNode spec = csv.putObject("spec");
    spec.put("displayName", "Isthmus");
    spec.put("description", BundleResources.description());
    spec.put("version", info.version());
    if (info.replaces() != null) {
      spec.put("replaces", info.replaces());
    }
    spec.put("minKubeVersion", info.minKubeVersion());
    spec.put("maturity", "alpha");
    spec.set("keywords", strings("istio", "service mesh", "istiooperator", "envoy", "xds", "mtls"));
    spec.putArray("maintainers")
        .addObject()
        .put("name", "Isthmus maintainers")
        .put("email", "maintainers@isthmus.dev");
    spec.putObject("provider").put("name", "Isthmus");
    ArrayNode links = spec.putArray("links");
    links.addObject().put("name", "Isthmus").put("url", "https://isthmus.dev");
    links
        .addObject()
        .put("name", "IstioOperator API")
        .put("url", "https://istio.io/latest/docs/reference/config/istio.operator.v1alpha1/");
    spec.putArray("icon")
        .addObject()
        .put("base64data", BundleResources.iconBase64())
        .put("mediatype", "image/svg+xml");
    spec.set("installModes", installModes());
    spec.set("install", install(info));
    spec.putObject("customresourcedefinitions").set("owned", owned());
    ArrayNode related = spec.putArray("relatedImages");
    for (RelatedImages.Image image : RelatedImages.of(info)) {
      related.addObject().put("name", image.name()).put("image", image.image());
    }
    return csv;
  }

  /** Install modes this bundle supports: one target namespace, the operator's own or another. */
  public static final List<String> SUPPORTED_INSTALL_MODES =
      List.of("OwnNamespace", "SingleNamespace");

  /**
   * The operator reconciles the IstioOperators of OLM's target namespace ({@code WATCH_NAMESPACE}
   * from the {@code olm.targetNamespaces} annotation). Not AllNamespaces: OLM aggregates the
   * IstioOperator kind into every namespace's {@code edit} and {@code admin} roles, and an
   * IstioOperator makes the operator apply ClusterRoles, webhooks and a privileged DaemonSet, so
   * any namespace editor would hold the operator's cluster-wide rights. Not MultiNamespace either:
   * each target namespace widens who can do that.
   */
  private static ArrayNode installModes() {
    ArrayNode modes = NODES.arrayNode();
    for (String type :
        List.of("OwnNamespace", "SingleNamespace", "MultiNamespace", "AllNamespaces")) {
      modes.addObject().put("type", type).put("supported", SUPPORTED_INSTALL_MODES.contains(type));
    }
    return modes;
  }

  private static ObjectNode install(BundleInfo info) {
    ObjectNode install = NODES.objectNode();
    install.put("strategy", "deployment");
    ObjectNode spec = install.putObject("spec");
    ObjectNode permissions = spec.putArray("clusterPermissions").addObject();
    permissions.put("serviceAccountName", OperatorManifests.NAME);
    // OLM installs the bundled CRDs, so the operator runs with --crds=external and needs no right
    // to create or patch CRDs
    permissions.set("rules", SORTED.valueToTree(OperatorRbac.rules(CrdPolicy.EXTERNAL)));
    // OLM grants these with a Role in the operator's namespace and in the target namespace
    ObjectNode namespaced = spec.putArray("permissions").addObject();
    namespaced.put("serviceAccountName", OperatorManifests.NAME);
    namespaced.set("rules", SORTED.valueToTree(OperatorRbac.namespacedRules()));
    // OLM sets the namespace; the one given here is dropped
    Deployment deployment =
        OperatorManifests.deployment("placeholder", info.operatorImage(), CrdPolicy.EXTERNAL);
    ObjectNode d = spec.putArray("deployments").addObject();
    d.put("name", deployment.getMetadata().getName());
    d.set("label", SORTED.valueToTree(deployment.getMetadata().getLabels()));
    d.set("spec", SORTED.valueToTree(deployment.getSpec()));
    return install;
  }

  private static ArrayNode owned() {
    ArrayNode owned = NODES.arrayNode();
    for (CustomResourceDefinition crd : Crds.all()) {
      ObjectNode o = owned.addObject();
      String kind = crd.getSpec().getNames().getKind();
      o.put("name", crd.getMetadata().getName());
      o.put("version", servedVersion(crd));
      o.put("kind", kind);
      if (kind.equals("IstioOperator")) {
        o.put("displayName", "Istio Operator");
        o.put(
            "description",
            "An Istio installation: profile, components, mesh configuration and values, as istioctl reads them.");
        o.set("resources", resources());
        o.set("specDescriptors", specDescriptors());
        o.set("statusDescriptors", statusDescriptors());
      } else {
        o.put("displayName", splitCamel(kind));
        o.put(
            "description",
            "Istio " + splitCamel(kind) + " configuration (" + crd.getSpec().getGroup() + ").");
      }
    }
    return owned;
  }

  /** The newest version a CRD serves (Istio lists them oldest first). */
  static String servedVersion(CustomResourceDefinition crd) {
    var versions =
        crd.getSpec().getVersions().stream()
            .filter(v -> Boolean.TRUE.equals(v.getServed()))
            .toList();
    return versions.get(versions.size() - 1).getName();
  }

  private static ArrayNode resources() {
    ArrayNode r = NODES.arrayNode();
    for (String kind :
        List.of(
            "Deployment",
            "Service",
            "ConfigMap",
            "ServiceAccount",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget")) {
      r.addObject().put("kind", kind).put("name", "").put("version", "v1");
    }
    return r;
  }

  private static ArrayNode specDescriptors() {
    ArrayNode d = NODES.arrayNode();
    d.addObject()
        .put("path", "profile")
        .put("displayName", "Profile")
        .put("description", "Base configuration profile: " + String.join(", ", Profiles.NAMES))
        .set("x-descriptors", strings("urn:alm:descriptor:com.tectonic.ui:text"));
    d.addObject()
        .put("path", "revision")
        .put("displayName", "Revision")
        .put(
            "description",
            "Control plane revision name, for canary upgrades; empty for the default revision")
        .set("x-descriptors", strings("urn:alm:descriptor:com.tectonic.ui:text"));
    d.addObject()
        .put("path", "hub")
        .put("displayName", "Image hub")
        .put("description", "Registry and repository of the control plane and proxy images")
        .set("x-descriptors", strings("urn:alm:descriptor:com.tectonic.ui:text"));
    d.addObject()
        .put("path", "tag")
        .put("displayName", "Image tag")
        .put("description", "Tag of the control plane and proxy images")
        .set("x-descriptors", strings("urn:alm:descriptor:com.tectonic.ui:text"));
    d.addObject()
        .put("path", "namespace")
        .put("displayName", "Control plane namespace")
        .put("description", "Namespace the control plane is installed in")
        .set("x-descriptors", strings("urn:alm:descriptor:io.kubernetes:Namespace"));
    d.addObject()
        .put("path", "meshConfig")
        .put("displayName", "Mesh configuration")
        .put("description", "Istio MeshConfig")
        .set("x-descriptors", strings("urn:alm:descriptor:com.tectonic.ui:advanced"));
    d.addObject()
        .put("path", "values")
        .put("displayName", "Helm values")
        .put("description", "Istio chart values passed to the components")
        .set("x-descriptors", strings("urn:alm:descriptor:com.tectonic.ui:advanced"));
    return d;
  }

  private static ArrayNode statusDescriptors() {
    ArrayNode d = NODES.arrayNode();
    d.addObject()
        .put("path", "status")
        .put("displayName", "Status")
        .put(
            "description",
            "Overall install status: NONE, RECONCILING, UPDATING, HEALTHY, ERROR or ACTION_REQUIRED")
        .set("x-descriptors", strings("urn:alm:descriptor:io.kubernetes.phase"));
    d.addObject()
        .put("path", "message")
        .put("displayName", "Message")
        .put("description", "What the installation waits for, or why it failed")
        .set("x-descriptors", strings("urn:alm:descriptor:text"));
    d.addObject()
        .put("path", "componentStatus")
        .put("displayName", "Component status")
        .put(
            "description",
            "Status, version and error of each component (Base, Pilot, IngressGateways, ...)");
    d.addObject()
        .put("path", "observedGeneration")
        .put("displayName", "Observed generation")
        .put("description", "The spec generation the status describes");
    d.addObject()
        .put("path", "conditions")
        .put("displayName", "Conditions")
        .put("description", "Ready (all components healthy) and Reconciled (the spec was applied)")
        .set("x-descriptors", strings("urn:alm:descriptor:io.kubernetes.conditions"));
    return d;
  }

  private static String internalObjects() {
    ArrayNode names = NODES.arrayNode();
    Crds.istioConfig().forEach(c -> names.add(c.getMetadata().getName()));
    return names.toString();
  }

  private static ArrayNode strings(String... values) {
    ArrayNode a = NODES.arrayNode();
    for (String v : values) {
      a.add(v);
    }
    return a;
  }

  private static String splitCamel(String kind) {
    return kind.replaceAll("([a-z])([A-Z])", "$1 $2");
  }
}
