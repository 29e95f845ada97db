package dev.isthmus.api;

import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Generates the CustomResourceDefinitions from the Java types with fabric8's CRD generator. Each
 * class is generated on its own (the Istio model marks every version as storage) and the versions
 * of one CRD are merged here, with the storage version Istio uses.
 */
final class CrdGeneration {
  private CrdGeneration() {}

  /** File name → YAML text, for every CRD in {@link Crds#FILES}. */
  static Map<String, String> generate() {
    Map<String, CustomResourceDefinition> byName = new LinkedHashMap<>();
    List<Class<? extends HasMetadata>> classes = new ArrayList<>(Crds.OPERATOR);
    classes.addAll(Crds.ISTIO_CONFIG);
    for (Class<? extends HasMetadata> type : classes) {
      CustomResourceDefinition crd = generateOne(type);
      byName.merge(crd.getMetadata().getName(), crd, CrdGeneration::mergeVersions);
    }
    Map<String, String> out = new TreeMap<>();
    for (CustomResourceDefinition crd : byName.values()) {
      finish(crd);
      out.put(crd.getMetadata().getName() + "-v1.yml", Serialization.asYaml(crd));
    }
    return out;
  }

  private static CustomResourceDefinition generateOne(Class<? extends HasMetadata> type) {
    Map<String, ByteArrayOutputStream> files = new TreeMap<>();
    new CRDGenerator()
        .forCRDVersions("v1")
        .withParallelGenerationEnabled(false)
        .withOutput(
            new CRDGenerator.CRDOutput<ByteArrayOutputStream>() {
              @Override
              public ByteArrayOutputStream outputFor(String name) {
                return files.computeIfAbsent(name, n -> new ByteArrayOutputStream());
              }

              @Override
              public void close() {}
            })
        .customResourceClasses(type)
        .generate();
    if (files.size() != 1) {
      throw new IllegalStateException("expected one CRD for " + type + ", got " + files.keySet());
    }
    String yaml = files.values().iterator().next().toString(StandardCharsets.UTF_8);
    return Serialization.unmarshal(yaml, CustomResourceDefinition.class);
  }

  private static CustomResourceDefinition mergeVersions(
      CustomResourceDefinition a, CustomResourceDefinition b) {
    a.getSpec().getVersions().addAll(b.getSpec().getVersions());
    return a;
  }

  private static void finish(CustomResourceDefinition crd) {
    List<CustomResourceDefinitionVersion> versions = crd.getSpec().getVersions();
    versions.sort(
        Comparator.comparingInt(
            v ->
                Crds.STORAGE_VERSIONS.indexOf(v.getName()) < 0
                    ? 9
                    : Crds.STORAGE_VERSIONS.indexOf(v.getName())));
    String storage =
        versions.stream()
            .map(CustomResourceDefinitionVersion::getName)
            .filter(Crds.STORAGE_VERSIONS::contains)
            .findFirst()
            .orElse(versions.get(0).getName());
    for (CustomResourceDefinitionVersion v : versions) {
      v.setStorage(v.getName().equals(storage));
      v.setServed(true);
    }
    for (CustomResourceDefinitionVersion v : versions) {
      keepOneOfFields(v.getSchema().getOpenAPIV3Schema());
    }
    String group = crd.getSpec().getGroup();
    if (group.endsWith(".istio.io") && !group.equals("install.istio.io")) {
      crd.getSpec().getNames().setCategories(List.of("istio-io", group.replace('.', '-')));
    }
  }

  /**
   * The Istio model maps each protobuf {@code oneof} to an interface-typed Java field that Jackson
   * unwraps (e.g. {@code StringMatch.MatchType}: {@code uri: {prefix: /a}}). The generator renders
   * such a field as an empty object property named after the interface, so the API server would
   * prune {@code prefix}, {@code exact}, {@code regex}, fault types and the like. Those
   * placeholders are dropped and their parent keeps unknown fields instead.
   */
  static void keepOneOfFields(
      io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps schema) {
    if (schema == null) {
      return;
    }
    java.util.Map<String, io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps> props =
        schema.getProperties();
    if (props != null && !props.isEmpty()) {
      var it = props.entrySet().iterator();
      while (it.hasNext()) {
        var e = it.next();
        var p = e.getValue();
        boolean placeholder =
            Character.isUpperCase(e.getKey().charAt(0))
                && "object".equals(p.getType())
                && (p.getProperties() == null || p.getProperties().isEmpty());
        if (placeholder) {
          it.remove();
          schema.setXKubernetesPreserveUnknownFields(true);
        } else {
          keepOneOfFields(p);
        }
      }
    }
    if (schema.getItems() != null) {
      keepOneOfFields(schema.getItems().getSchema());
    }
    if (schema.getAdditionalProperties() != null) {
      keepOneOfFields(schema.getAdditionalProperties().getSchema());
    }
  }
}
