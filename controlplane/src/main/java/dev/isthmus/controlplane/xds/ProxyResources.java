package dev.isthmus.controlplane.xds;

import com.google.common.hash.Hasher;
import com.google.common.hash.Hashing;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code ProxyResources} is the xDS state generated for one proxy: per type URL, resources by name,
 * each with a content hash as its version. Type versions are derived from the resource versions, so
 * an unchanged type is never re-sent.
 */
public final class ProxyResources {
  private final Map<String, Map<String, VersionedResource<?>>> byType;

  /** Whole-type versions, computed once: many streams share one instance and ask often. */
  private final java.util.concurrent.ConcurrentHashMap<String, String> typeVersions =
      new java.util.concurrent.ConcurrentHashMap<>();

  private ProxyResources(Map<String, Map<String, VersionedResource<?>>> byType) {
    this.byType = byType;
  }

  /** No resources at all. */
  public static ProxyResources empty() {
    return new ProxyResources(Map.of());
  }

  /** Builds from messages grouped by type URL. */
  public static ProxyResources of(Map<String, ? extends Collection<? extends Message>> messages) {
    Map<String, Map<String, VersionedResource<?>>> m = new LinkedHashMap<>();
    messages.forEach((type, list) -> m.put(type, versioned(list)));
    return new ProxyResources(Collections.unmodifiableMap(m));
  }

  static Map<String, VersionedResource<?>> versioned(Collection<? extends Message> list) {
    Map<String, VersionedResource<?>> out = new TreeMap<>();
    for (Message msg : list) {
      out.put(Resources.getResourceName(msg), VersionedResource.create(msg, hash(msg)));
    }
    return Collections.unmodifiableMap(out);
  }

  /** Builds from already versioned (possibly shared) resources grouped by type URL. */
  static ProxyResources ofVersioned(Map<String, Map<String, VersionedResource<?>>> byType) {
    return new ProxyResources(Collections.unmodifiableMap(new LinkedHashMap<>(byType)));
  }

  /** A copy with one type replaced by already versioned (unmodifiable) resources. */
  ProxyResources withVersioned(String typeUrl, Map<String, VersionedResource<?>> resources) {
    Map<String, Map<String, VersionedResource<?>>> m = new LinkedHashMap<>(byType);
    m.put(typeUrl, resources);
    return new ProxyResources(Collections.unmodifiableMap(m));
  }

  /** A copy with one type replaced. */
  public ProxyResources with(String typeUrl, Collection<? extends Message> list) {
    Map<String, Map<String, VersionedResource<?>>> m = new LinkedHashMap<>(byType);
    m.put(typeUrl, versioned(list));
    return new ProxyResources(Collections.unmodifiableMap(m));
  }

  /** Resources of a type by name, empty when none. */
  public Map<String, VersionedResource<?>> resources(String typeUrl) {
    return byType.getOrDefault(typeUrl, Map.of());
  }

  /** Messages of a type, by name. */
  public Map<String, Message> messages(String typeUrl) {
    Map<String, Message> out = new TreeMap<>();
    resources(typeUrl).forEach((k, v) -> out.put(k, v.resource()));
    return out;
  }

  /**
   * Version of the named subset of a type (all resources when {@code names} is empty): a hash of
   * names and resource versions.
   */
  public String version(String typeUrl, List<String> names) {
    if (names.isEmpty()) {
      return typeVersions.computeIfAbsent(typeUrl, t -> hashVersion(t, names));
    }
    return hashVersion(typeUrl, names);
  }

  private String hashVersion(String typeUrl, List<String> names) {
    Map<String, VersionedResource<?>> res = resources(typeUrl);
    Hasher h = Hashing.murmur3_128().newHasher();
    if (names.isEmpty()) {
      res.forEach(
          (k, v) ->
              h.putString(k, StandardCharsets.UTF_8)
                  .putString(v.version(), StandardCharsets.UTF_8));
    } else {
      new java.util.TreeSet<>(names)
          .forEach(
              n -> {
                VersionedResource<?> v = res.get(n);
                if (v != null) {
                  h.putString(n, StandardCharsets.UTF_8)
                      .putString(v.version(), StandardCharsets.UTF_8);
                }
              });
    }
    return h.hash().toString().substring(0, 16);
  }

  static String hash(Message msg) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(msg.getSerializedSize());
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.useDeterministicSerialization();
      msg.writeTo(out);
      out.flush();
      return Hashing.murmur3_128().hashBytes(bytes.toByteArray()).toString().substring(0, 16);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
