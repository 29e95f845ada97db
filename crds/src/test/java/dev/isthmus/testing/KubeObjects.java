package dev.isthmus.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.Crds;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Objects in the test API server as tests need them: the live copy of a rendered object, and CRDs
 * of kinds nobody ships, for tests of what happens around a CRD.
 */
public final class KubeObjects {
  private KubeObjects() {}

  /** The live object a rendered {@code o} (apiVersion, kind, namespace, name) stands for. */
  public static Resource<GenericKubernetesResource> resource(
      KubernetesClient client, ObjectNode o) {
    var op =
        client.genericKubernetesResources(o.path("apiVersion").asText(), o.path("kind").asText());
    String ns = o.path("metadata").path("namespace").asText(null);
    String name = o.path("metadata").path("name").asText();
    return ns == null ? op.withName(name) : op.inNamespace(ns).withName(name);
  }

  /** The live copy of a rendered {@code o}, or null when there is none. */
  public static GenericKubernetesResource live(KubernetesClient client, ObjectNode o) {
    return resource(client, o).get();
  }

  /**
   * A namespaced CRD for {@code kind} in {@code group}, served and stored as {@code v1}, that keeps
   * any field.
   */
  public static CustomResourceDefinition crd(String group, String kind) {
    String singular = kind.toLowerCase(Locale.ROOT);
    return new CustomResourceDefinitionBuilder()
        .withNewMetadata()
        .withName(singular + "s." + group)
        .endMetadata()
        .withNewSpec()
        .withGroup(group)
        .withScope("Namespaced")
        .withNewNames()
        .withKind(kind)
        .withPlural(singular + "s")
        .withSingular(singular)
        .withListKind(kind + "List")
        .endNames()
        .addNewVersion()
        .withName("v1")
        .withServed(true)
        .withStorage(true)
        .withNewSchema()
        .withNewOpenAPIV3Schema()
        .withType("object")
        .withXKubernetesPreserveUnknownFields(true)
        .endOpenAPIV3Schema()
        .endSchema()
        .endVersion()
        .endSpec()
        .build();
  }

  /** A Secret {@code ns/name} holding {@code data}, given as text and base64-encoded here. */
  public static SecretBuilder secret(String ns, String name, Map<String, String> data) {
    Map<String, String> encoded = new LinkedHashMap<>();
    data.forEach(
        (k, v) ->
            encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .endMetadata()
        .withData(encoded);
  }

  /** Waits (a minute at most) until the CRD {@code name} is Established. */
  public static void awaitEstablished(KubernetesClient client, String name) {
    client
        .apiextensions()
        .v1()
        .customResourceDefinitions()
        .withName(name)
        .waitUntilCondition(Crds::established, 60, TimeUnit.SECONDS);
  }
}
