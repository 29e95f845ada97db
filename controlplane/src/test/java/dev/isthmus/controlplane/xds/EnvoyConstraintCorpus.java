package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.discovery.ClusterState;
import dev.isthmus.controlplane.discovery.MeshConfigWatch;
import dev.isthmus.controlplane.discovery.MeshModelBuilder;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.SecuritySettings;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration corpus of {@code src/test/resources/envoy-constraints/}: Kubernetes and Istio
 * objects by kind, the mesh config, and the credential Secrets, as the inputs of a {@link
 * MeshSnapshot} and of SDS.
 */
final class EnvoyConstraintCorpus {
  static final String DIR = "envoy-constraints/";
  static final List<String> FILES = List.of("cluster.yaml", "networking.yaml", "security.yaml");

  /** Key sets the control plane would have fetched; {@code unresolved.example.com} never was. */
  static final String JWKS =
      "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"kid\":\"k1\",\"n\":\"xAE7eB6qugXyCAG3yhh7pkDkT65pHymX"
          + "-P7KfIupjf59vsdo91bSP9C8H07pSAGQO1MV_xFj9VswgsCg4R6otmg5PV2He95lZdHtOcU5DXIg_pbhLdKXbi66Gl"
          + "VeK6ABZOUW3WYtnNHD-91gVuoeJT_DwtGGcp4ignkgXfkiEm4sw-4sfb4qdt5oLbyVpmW6x9cfa7vs2WTfURiCrBoU"
          + "qgBo_-4WTiULmmHSGZHOjzwa8WtrtOQGsAFjIbno85jp6MnGGGZPYZbDAa_b3y5u-YpW7ypZrvD8BgtKVjgtQgZhLAG"
          + "ezMt0ua3DRrWnKqTZ0BJ_EyxOGuHJrLsn00fnMQ\"}]}";

  static final Map<String, String> KEY_SETS =
      Map.of(
          SecuritySettings.keySetKey(
              "https://accounts.example.com", "https://accounts.example.com/.well-known/jwks.json"),
          JWKS,
          SecuritySettings.keySetKey("https://mesh.example.com", "https://mesh.example.com/keys"),
          JWKS);

  private static final Pattern KIND = Pattern.compile("(?m)^kind:\\s*(\\S+)");

  private static final Map<String, Class<?>> KINDS =
      Map.ofEntries(
          Map.entry("Node", io.fabric8.kubernetes.api.model.Node.class),
          Map.entry("Service", io.fabric8.kubernetes.api.model.Service.class),
          Map.entry(
              "EndpointSlice", io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice.class),
          Map.entry("Pod", io.fabric8.kubernetes.api.model.Pod.class),
          Map.entry("Secret", Secret.class),
          Map.entry("ServiceEntry", io.fabric8.istio.api.networking.v1.ServiceEntry.class),
          Map.entry("WorkloadEntry", io.fabric8.istio.api.networking.v1.WorkloadEntry.class),
          Map.entry("VirtualService", io.fabric8.istio.api.networking.v1.VirtualService.class),
          Map.entry("DestinationRule", io.fabric8.istio.api.networking.v1.DestinationRule.class),
          Map.entry("Gateway", io.fabric8.istio.api.networking.v1.Gateway.class),
          Map.entry("Sidecar", io.fabric8.istio.api.networking.v1.Sidecar.class),
          Map.entry(
              "PeerAuthentication", io.fabric8.istio.api.security.v1.PeerAuthentication.class),
          Map.entry(
              "AuthorizationPolicy", io.fabric8.istio.api.security.v1.AuthorizationPolicy.class),
          Map.entry(
              "RequestAuthentication",
              io.fabric8.istio.api.security.v1.RequestAuthentication.class));

  /** Objects by kind, in file order. */
  final Map<String, List<Object>> byKind = new LinkedHashMap<>();

  final MeshSnapshot mesh;

  EnvoyConstraintCorpus() {
    for (String file : FILES) {
      for (String doc : read(file).split("(?m)^---\\s*$")) {
        Matcher m = KIND.matcher(doc);
        if (!m.find()) {
          continue;
        }
        Class<?> type = KINDS.get(m.group(1));
        if (type == null) {
          throw new IllegalArgumentException(file + ": unsupported kind " + m.group(1));
        }
        byKind
            .computeIfAbsent(m.group(1), k -> new ArrayList<>())
            .add(Serialization.unmarshal(doc, type));
      }
    }
    ClusterState s =
        new ClusterState(
            list("Service"),
            list("EndpointSlice"),
            list("Pod"),
            list("Node"),
            list("ServiceEntry"),
            list("WorkloadEntry"),
            list("VirtualService"),
            list("DestinationRule"),
            list("Gateway"),
            list("Sidecar"),
            list("PeerAuthentication"),
            list("AuthorizationPolicy"),
            list("RequestAuthentication"));
    MeshSnapshot built =
        new MeshModelBuilder("cluster.local", "istio-system", (kind, why) -> {}).build(s);
    SecuritySettings settings =
        MeshConfigWatch.parse(read("mesh.yaml"), "cluster.local").withKeySets(KEY_SETS);
    mesh = built.withPolicies(built.policies().withSettings(settings));
  }

  @SuppressWarnings("unchecked")
  <T> List<T> list(String kind) {
    return (List<T>) (List<?>) byKind.getOrDefault(kind, List.of());
  }

  /** The data of the corpus's Secrets (base64 values), as the credential informer holds them. */
  BiFunction<String, String, Map<String, String>> secrets() {
    Map<String, Map<String, String>> data = new TreeMap<>();
    for (Secret sec : this.<Secret>list("Secret")) {
      data.put(sec.getMetadata().getNamespace() + "/" + sec.getMetadata().getName(), sec.getData());
    }
    return (ns, name) -> data.get(ns + "/" + name);
  }

  static String read(String file) {
    try (InputStream in =
        EnvoyConstraintCorpus.class.getClassLoader().getResourceAsStream(DIR + file)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + DIR + file);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
